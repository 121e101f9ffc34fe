// The checks of what a sharded Ferry run on Kubernetes depends on, beyond the API types'
// own shape (main.go decodes strictly). Each problem is one line naming the object and field.
package main

import (
	"fmt"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The downward-API path every pod of one Job shares and each new Job changes: the run id.
var runIDPath = fmt.Sprintf("metadata.labels['%s']", batchv1.ControllerUidLabel)

type objects struct {
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

func objName(o runtime.Object) string {
	switch v := o.(type) {
	case *batchv1.Job:
		return v.Name
	case *batchv1.CronJob:
		return v.Name
	case *corev1.ConfigMap:
		return v.Name
	case *corev1.Secret:
		return v.Name
	case *corev1.ServiceAccount:
		return v.Name
	}
	return ""
}

// checkAll checks the decoded documents; decodeFailed says some were not decoded (then a missing
// Job is no news).
func checkAll(docs []doc, decodeFailed bool) []string {
	objs := objects{configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}}
	for _, d := range docs {
		switch v := d.obj.(type) {
		case *corev1.ConfigMap:
			objs.configMaps[v.Name] = v
		case *corev1.Secret:
			objs.secrets[v.Name] = v
		}
	}
	var p []string
	jobs := 0
	for _, d := range docs {
		switch v := d.obj.(type) {
		case *batchv1.Job:
			jobs++
			p = append(p, checkJob(d.where+" spec", &v.Spec, objs)...)
		case *batchv1.CronJob:
			jobs++
			if v.Spec.Schedule == "" {
				p = append(p, d.where+": spec.schedule is empty")
			}
			// Two runs of one schedule at once would be two runs over the same tables.
			if v.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				p = append(p, fmt.Sprintf("%s: spec.concurrencyPolicy is %q, want Forbid", d.where, v.Spec.ConcurrencyPolicy))
			}
			p = append(p, checkJob(d.where+" spec.jobTemplate.spec", &v.Spec.JobTemplate.Spec, objs)...)
		case *corev1.ConfigMap, *corev1.Secret, *corev1.ServiceAccount:
		default:
			p = append(p, fmt.Sprintf("%s: kind %T is not one of Ferry's manifests", d.where, v))
		}
	}
	if jobs == 0 && !decodeFailed {
		p = append(p, "no Job or CronJob in the input")
	}
	return p
}

func checkJob(where string, s *batchv1.JobSpec, objs objects) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		bad("completionMode must be Indexed (one pod per shard index)")
	}
	total := int32(0)
	if s.Completions == nil || *s.Completions < 1 {
		bad("completions must be set to the number of shards (>= 1)")
	} else {
		total = *s.Completions
	}
	if s.Parallelism == nil || *s.Parallelism < 1 || (total > 0 && *s.Parallelism > total) {
		bad("parallelism must be between 1 and completions (%d)", total)
	}
	if s.BackoffLimitPerIndex == nil {
		bad("backoffLimitPerIndex must be set: a failed shard is retried on its own")
	}
	if s.MaxFailedIndexes != nil && (*s.MaxFailedIndexes < 0 || *s.MaxFailedIndexes > total) {
		bad("maxFailedIndexes %d is outside 0..completions (%d)", *s.MaxFailedIndexes, total)
	}
	// A replacement pod of a shard must not start while the old one is still terminating: two
	// processes of one shard would write the same pairs.
	if s.PodReplacementPolicy == nil || *s.PodReplacementPolicy != batchv1.Failed {
		bad("podReplacementPolicy must be Failed")
	}
	pod := &s.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever {
		bad("template.spec.restartPolicy must be Never (backoffLimitPerIndex needs it)")
	}
	return append(p, checkPod(where+".template.spec", pod, total, objs)...)
}

func checkPod(where string, pod *corev1.PodSpec, total int32, objs objects) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		bad("automountServiceAccountToken must be false (Ferry does not call the Kubernetes API)")
	}
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot {
		bad("securityContext.runAsNonRoot must be true")
	}
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		bad("securityContext.runAsUser must be a non-zero numeric UID")
	}
	if psc == nil || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		bad("securityContext.seccompProfile.type must be RuntimeDefault")
	}
	volumes := map[string]*corev1.Volume{}
	for i := range pod.Volumes {
		v := &pod.Volumes[i]
		volumes[v.Name] = v
		if v.HostPath != nil {
			bad("volume %q is a hostPath", v.Name)
		}
		if v.ConfigMap != nil && objs.configMaps[v.ConfigMap.Name] == nil {
			bad("volume %q names ConfigMap %q, which is not in the manifests", v.Name, v.ConfigMap.Name)
		}
	}
	// One regular container: a second one (a plugin served over gRPC) would keep running after
	// ferry exits and the shard would never complete; such sidecars are initContainers with
	// restartPolicy Always, which Kubernetes stops when the main container is done.
	if len(pod.Containers) != 1 || pod.Containers[0].Name != "ferry" {
		bad("want exactly one container, named ferry (run plugins as initContainers with restartPolicy Always)")
	}
	for i := range pod.Containers {
		c := &pod.Containers[i]
		w := fmt.Sprintf("%s.containers[%s]", where, c.Name)
		p = append(p, checkSecurity(w, c)...)
		if c.Name == "ferry" {
			p = append(p, checkContainer(w, c, total, volumes, objs)...)
		}
	}
	for i := range pod.InitContainers {
		c := &pod.InitContainers[i]
		w := fmt.Sprintf("%s.initContainers[%s]", where, c.Name)
		p = append(p, checkSecurity(w, c)...)
		if c.RestartPolicy == nil || *c.RestartPolicy != corev1.ContainerRestartPolicyAlways {
			p = append(p, w+": restartPolicy must be Always (a sidecar that stops when ferry is done)")
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			p = append(p, w+": resources.limits.memory must be set")
		}
	}
	return p
}

// checkSecurity: the restricted profile's container fields.
func checkSecurity(where string, c *corev1.Container) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	sc := c.SecurityContext
	if sc == nil {
		return append(p, where+": securityContext is missing")
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		bad("securityContext.readOnlyRootFilesystem must be true")
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		bad("securityContext.allowPrivilegeEscalation must be false")
	}
	if sc.Privileged != nil && *sc.Privileged {
		bad("securityContext.privileged must not be true")
	}
	if sc.Capabilities == nil || !hasCap(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
		bad("securityContext.capabilities must drop ALL and add none")
	}
	if sc.RunAsUser != nil && *sc.RunAsUser == 0 {
		bad("securityContext.runAsUser must not be 0")
	}
	return p
}

func checkContainer(where string, c *corev1.Container, total int32, volumes map[string]*corev1.Volume, objs objects) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	args := append(append([]string{}, c.Command...), c.Args...)
	if !contains(args, "sync") {
		bad("the command line has no sync subcommand: %q", args)
	}
	for _, a := range args {
		if a == "--shard" || strings.HasPrefix(a, "--shard=") {
			bad("--shard on the command line gives every pod the same shard; the index comes from JOB_COMPLETION_INDEX")
		}
	}
	p = append(p, checkMemory(where, c, args)...)
	env := map[string]*corev1.EnvVar{}
	for i := range c.Env {
		env[c.Env[i].Name] = &c.Env[i]
	}
	if e := env["FERRY_SHARD"]; e != nil {
		bad("env FERRY_SHARD gives every pod the same shard; set FERRY_SHARD_TOTAL and let JOB_COMPLETION_INDEX pick")
	}
	if e := env["FERRY_SHARD_TOTAL"]; e == nil || e.Value != strconv.Itoa(int(total)) {
		bad("env FERRY_SHARD_TOTAL must be %d (the Job's completions)", total)
	}
	if e := env["FERRY_SHARD_RUN"]; e == nil || e.ValueFrom == nil || e.ValueFrom.FieldRef == nil ||
		e.ValueFrom.FieldRef.FieldPath != runIDPath {
		bad("env FERRY_SHARD_RUN must come from fieldRef %s (one run id per Job, shared by its pods)", runIDPath)
	}
	defined, fromSecret := map[string]bool{}, false
	for name, e := range env {
		defined[name] = true
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			fromSecret = true
			ref := e.ValueFrom.SecretKeyRef
			if s := objs.secrets[ref.Name]; s != nil && !secretHas(s, ref.Key) {
				bad("env %s names key %q of Secret %q, which has no such key", name, ref.Key, ref.Name)
			}
		}
	}
	for _, ef := range c.EnvFrom {
		if ef.SecretRef == nil {
			continue
		}
		fromSecret = true
		if s := objs.secrets[ef.SecretRef.Name]; s != nil {
			for k := range s.Data {
				defined[ef.Prefix+k] = true
			}
			for k := range s.StringData {
				defined[ef.Prefix+k] = true
			}
		}
	}
	if !fromSecret {
		bad("no environment variable comes from a Secret (credentials belong in one)")
	}
	p = append(p, checkMounts(where, c, args, volumes, objs, defined)...)
	return p
}

func under(path, dir string) bool {
	dir = strings.TrimSuffix(dir, "/")
	return path == dir || strings.HasPrefix(path, dir+"/")
}

func hasCap(caps []corev1.Capability, want corev1.Capability) bool {
	for _, c := range caps {
		if c == want {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func secretHas(s *corev1.Secret, key string) bool {
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	return inData || inString
}
