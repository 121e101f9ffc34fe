// Command validate checks Ferry's Kubernetes manifests without a cluster.
//
// It reads YAML streams (files, or stdin for "-"), the output of `helm template` or the plain
// manifests, and decodes every document strictly into Kubernetes' own Go API types (k8s.io/api
// at the release Helm is built with): an unknown, misspelt or duplicated field, a wrong type or a
// kind it does not know fails. Then it checks what a sharded Ferry run depends on (checks.go):
// Indexed Jobs, the shard environment, the restricted security context, the memory budget under
// the limit, the spec's ${VAR}s coming from the pod's environment, references between objects.
//
// -configmaps-to DIR also writes each ConfigMap's keys to DIR/<configmap>/<key>, so a test can
// hand the spec files to `ferry validate-config`.
//
// Exit status: 0 when every document passes, 1 with one line per problem otherwise, 2 on usage
// or I/O errors.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// doc is one decoded document and where it came from, for messages.
type doc struct {
	where string // file:document-number
	obj   runtime.Object
}

func main() {
	cmDir := flag.String("configmaps-to", "", "write each ConfigMap key to `DIR`/<configmap>/<key>")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: validate [-configmaps-to DIR] FILE|- ...  (YAML streams of Kubernetes objects)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	// Only the kinds Ferry's manifests use are registered: anything else is an error, so a
	// manifest cannot slip an object past the checks.
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{batchv1.AddToScheme, corev1.AddToScheme} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, "validate:", err)
			os.Exit(2)
		}
	}
	// Strict: unknown and duplicate fields are errors (sigs.k8s.io/json, case-sensitive field
	// names, as the API server's strict field validation).
	codec := json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true})

	var docs []doc
	var problems []string
	for _, name := range flag.Args() {
		ds, ps, err := decodeFile(name, codec)
		if err != nil {
			fmt.Fprintf(os.Stderr, "validate: %s: %v\n", name, err)
			os.Exit(2)
		}
		docs = append(docs, ds...)
		problems = append(problems, ps...)
	}
	if len(docs) == 0 && len(problems) == 0 {
		problems = append(problems, "no Kubernetes objects in the input")
	}
	problems = append(problems, checkAll(docs, len(problems) > 0)...)
	if *cmDir != "" {
		if err := writeConfigMaps(*cmDir, docs); err != nil {
			fmt.Fprintln(os.Stderr, "validate:", err)
			os.Exit(2)
		}
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Println("FAIL", p)
		}
		fmt.Printf("validate: %d object(s), %d problem(s)\n", len(docs), len(problems))
		os.Exit(1)
	}
	fmt.Printf("validate: %d object(s) OK (%s)\n", len(docs), summary(docs))
}

func decodeFile(name string, codec runtime.Decoder) ([]doc, []string, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		defer f.Close()
		r = f
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(r))
	var docs []doc
	var problems []string
	for n := 1; ; n++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("document %d: %w", n, err)
		}
		where := fmt.Sprintf("%s:doc %d", name, n)
		if isBlank(raw) {
			continue
		}
		obj, gvk, err := codec.Decode(raw, nil, nil)
		if err != nil {
			// The strict decoder returns the object and an error listing every unknown or
			// duplicate field: the object is not kept, the manifest must be fixed.
			problems = append(problems, fmt.Sprintf("%s: %v", where, err))
			continue
		}
		docs = append(docs, doc{where: fmt.Sprintf("%s (%s %s)", where, gvk.Kind, objName(obj)), obj: obj})
	}
	return docs, problems, nil
}

// isBlank: a document of comments and whitespace only (helm template emits some).
func isBlank(raw []byte) bool {
	for _, line := range bytes.Split(raw, []byte("\n")) {
		t := strings.TrimSpace(string(line))
		if t != "" && !strings.HasPrefix(t, "#") {
			return false
		}
	}
	return true
}

func summary(docs []doc) string {
	counts := map[string]int{}
	var order []string
	for _, d := range docs {
		k := fmt.Sprintf("%T", d.obj)
		k = k[strings.LastIndex(k, ".")+1:]
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	parts := make([]string, 0, len(order))
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
	}
	return strings.Join(parts, ", ")
}

func writeConfigMaps(dir string, docs []doc) error {
	for _, d := range docs {
		cm, ok := d.obj.(*corev1.ConfigMap)
		if !ok {
			continue
		}
		sub := filepath.Join(dir, cm.Name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		for key, text := range cm.Data {
			if err := os.WriteFile(filepath.Join(sub, key), []byte(text), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
