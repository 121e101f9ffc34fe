// The filesystem checks: writable places are emptyDirs (the root filesystem is read-only), and
// the spec comes from a mounted ConfigMap whose ${VAR}s the container's environment defines.
package main

import (
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

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
