// The checks of what a sharded Ferry run on Kubernetes depends on, beyond the API types'
// own shape (main.go decodes strictly). Each problem is one line naming the object and field.
package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const mib = int64(1) << 20

// Headroom over the memory budget: the budget bounds row data in flight; the process also holds
// the batch being encoded, client libraries' buffers and its code (docs/benchmarks.md: peak RSS
// stays under budget + 128 MiB). deploy/kubernetes/README.md documents the same rule.
func headroom(limit int64) int64 { return max(128*mib, limit/4) }

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

func checkAll(docs []doc) []string {
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
	if jobs == 0 && len(docs) > 0 {
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
	if len(pod.Containers) != 1 {
		bad("want exactly one container (ferry), got %d", len(pod.Containers))
	}
	for i := range pod.Containers {
		p = append(p, checkContainer(fmt.Sprintf("%s.containers[%s]", where, pod.Containers[i].Name),
			&pod.Containers[i], total, volumes, objs)...)
	}
	return p
}

func checkContainer(where string, c *corev1.Container, total int32, volumes map[string]*corev1.Volume, objs objects) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	sc := c.SecurityContext
	switch {
	case sc == nil:
		bad("securityContext is missing")
	default:
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
	}
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

// checkMemory: requests and limits set, and the budget leaves the documented headroom.
func checkMemory(where string, c *corev1.Container, args []string) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	limit, ok := c.Resources.Limits[corev1.ResourceMemory]
	if !ok {
		return append(p, where+": resources.limits.memory must be set (the budget is sized from it)")
	}
	if req, ok := c.Resources.Requests[corev1.ResourceMemory]; !ok || req.Cmp(limit) > 0 {
		bad("resources.requests.memory must be set and at most the limit")
	}
	if _, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok {
		bad("resources.requests.cpu must be set")
	}
	budgetArg := ""
	for i, a := range args {
		if a == "--memory-budget" && i+1 < len(args) {
			budgetArg = args[i+1]
		} else if v, ok := strings.CutPrefix(a, "--memory-budget="); ok {
			budgetArg = v
		}
	}
	if budgetArg == "" {
		return append(p, where+": no --memory-budget argument (size it from the memory limit)")
	}
	budget, err := parseBytes(budgetArg)
	if err != nil {
		return append(p, fmt.Sprintf("%s: --memory-budget %q: %v", where, budgetArg, err))
	}
	l := limit.Value()
	if budget <= 0 || budget > l-headroom(l) {
		bad("--memory-budget %s is over the memory limit %s minus the headroom max(128MiB, limit/4) = %dMiB",
			budgetArg, limit.String(), (l-headroom(l))/mib)
	}
	return p
}

// checkMounts: writable places are emptyDirs, the spec comes from a mounted ConfigMap, and every
// ${VAR} of that spec is defined in the container's environment.
func checkMounts(where string, c *corev1.Container, args []string, volumes map[string]*corev1.Volume,
	objs objects, defined map[string]bool) []string {
	var p []string
	bad := func(f string, a ...any) { p = append(p, where+": "+fmt.Sprintf(f, a...)) }
	emptyDirAt := func(path string) bool {
		for _, m := range c.VolumeMounts {
			v := volumes[m.Name]
			if v != nil && v.EmptyDir != nil && !m.ReadOnly && under(path, m.MountPath) {
				return true
			}
		}
		return false
	}
	if !emptyDirAt("/tmp") {
		bad("/tmp must be a writable emptyDir mount (the root filesystem is read-only)")
	}
	if c.WorkingDir == "" || !emptyDirAt(c.WorkingDir) {
		bad("workingDir %q must be inside a writable emptyDir mount (Ferry writes its log and .cq there)", c.WorkingDir)
	}
	specs := 0
	for _, m := range c.VolumeMounts {
		v := volumes[m.Name]
		if v == nil {
			bad("volumeMount %q names no volume", m.Name)
			continue
		}
		if v.ConfigMap == nil {
			continue
		}
		cm := objs.configMaps[v.ConfigMap.Name]
		usedBySync := false
		for _, a := range args {
			if strings.HasPrefix(a, "/") && under(a, m.MountPath) {
				usedBySync = true
			}
		}
		if !usedBySync || cm == nil {
			continue
		}
		specs++
		for key, text := range cm.Data {
			for _, name := range envRefs(text) {
				if !defined[name] {
					bad("ConfigMap %q key %s uses ${%s}, which the container's env does not define", cm.Name, key, name)
				}
			}
			if strings.Contains(text, "kind: source") && !strings.Contains(text, "backend_options:") {
				bad("ConfigMap %q key %s: a source has no backend_options (the state backend coordinates the shards)", cm.Name, key)
			}
		}
	}
	if specs == 0 {
		bad("no sync argument points into a mounted ConfigMap of the manifests (the spec)")
	}
	return p
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// envRefs lists the ${VAR} names of a spec, skipping comment lines (${file:...} never matches).
func envRefs(text string) []string {
	var names []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range envRef.FindAllStringSubmatch(line, -1) {
			names = append(names, m[1])
		}
	}
	return names
}

// parseBytes reads Ferry's byte sizes: an integer and B, KB, MB, GB, TB or KiB, MiB, GiB, TiB.
func parseBytes(s string) (int64, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i == 0 {
		return 0, fmt.Errorf("not a byte size")
	}
	num, unit := s, ""
	if i > 0 {
		num, unit = s[:i], s[i:]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, err
	}
	mult := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("unknown unit %q", unit)
	}
	return n * mult, nil
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
