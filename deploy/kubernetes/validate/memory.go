// The memory checks: requests and limits set, and --memory-budget within the sizing rule of
// deploy/kubernetes/README.md ("Sizing").
package main

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

const mib = int64(1) << 20

// Headroom over the memory budget: the budget bounds row data in flight; the process also holds
// the batch being encoded, client libraries' buffers and its code (docs/benchmarks.md: peak RSS
// stays under budget + 128 MiB). deploy/kubernetes/README.md documents the same rule.
func headroom(limit int64) int64 { return max(128*mib, limit/4) }

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
