// Command ferry-go-sdk-peer serves plugins made of CloudQuery's Go plugin SDK
// (github.com/cloudquery/plugin-sdk/v4, pinned in tests/peers/go/versions.env) for Ferry's interop
// tests (tests/interop/cq_go_interop_test.cc). The name it runs as picks the plugin:
//
//	cq-go-memdb     the SDK's own MemDB plugin (internal/memdb): a destination that keeps what it
//	                is written (upserts by primary key, delete-stale, delete-record) and a source
//	                that syncs it back.
//	cq-go-testdata  a source whose table is the SDK's test table (schema.TestTable, every Arrow
//	                type the SDK tests destinations with) and whose rows come from the SDK's
//	                test-data generator (schema.TestDataGenerator).
//
// Both are then served by the SDK's own command line (`serve --address ...`), so everything on the
// wire (gRPC server, Arrow IPC, discovery, logs, errors) is the SDK's. This file is only the glue:
// scripts/install-go-peers.sh builds it inside a copy of the SDK module, which is what lets it
// import the SDK's internal MemDB. CloudQuery's own `test` source is a separate module that the
// module proxy here does not serve (tests/peers/go/README.md).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cloudquery/plugin-sdk/v4/internal/memdb"
	"github.com/cloudquery/plugin-sdk/v4/message"
	"github.com/cloudquery/plugin-sdk/v4/plugin"
	"github.com/cloudquery/plugin-sdk/v4/schema"
	"github.com/cloudquery/plugin-sdk/v4/serve"
	"github.com/cloudquery/plugin-sdk/v4/types"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
)

// Version is set at build time (-X), like CloudQuery's release builds do.
var Version = "development"

// keptOnClose keeps MemDB's rows when the plugin is closed (FERRY_MEMDB_KEEP_ON_CLOSE=1). MemDB's
// own Close drops its map, after which every write panics; with this, what one sync wrote can be
// synced back by the next, from the same running server.
type keptOnClose struct{ plugin.Client }

func (keptOnClose) Close(context.Context) error { return nil }

func memdbPlugin() *plugin.Plugin {
	// One client for the life of the server: MemDB's NewMemDBClient makes an empty database on
	// every Init, which would forget a sync's rows before the next sync could read them.
	newClient := memdb.GetNewClient()
	keep := os.Getenv("FERRY_MEMDB_KEEP_ON_CLOSE") == "1"
	return plugin.NewPlugin("memdb", Version,
		func(ctx context.Context, l zerolog.Logger, spec []byte, o plugin.NewClientOptions) (plugin.Client, error) {
			c, err := newClient(ctx, l, spec, o)
			if err != nil || !keep {
				return c, err
			}
			return keptOnClose{c}, nil
		})
}

// testdataSpec is the cq-go-testdata source's spec.
type testdataSpec struct {
	Table     string   `json:"table"`      // table name (test_testdata_table)
	NumRows   int      `json:"num_rows"`   // rows in all (1)
	BatchRows int      `json:"batch_rows"` // rows per record batch (1000)
	Seed      uint64   `json:"seed"`       // the generator's seed (0)
	NullRows  bool     `json:"null_rows"`  // every nullable column null
	Skip      []string `json:"skip"`       // groups of schema.TestSourceOptions to leave out (["maps"])
	// DropColumns leaves out columns by name (bqemulator cannot create one named "binary").
	DropColumns []string `json:"drop_columns"`
	// PadBytes > 0 adds a binary column `pad` holding that many bytes in the first row of every
	// batch (null in the others): a way to make one Sync message as big as a test needs.
	PadBytes int `json:"pad_bytes"`
	// Repeat sends the first batch the generator makes again and again (with new _cq_id values)
	// until num_rows: the generator makes ~1,000 rows a second, too slow to load a destination.
	Repeat bool `json:"repeat"`
}

type testdataClient struct {
	plugin.UnimplementedDestination
	spec  testdataSpec
	table *schema.Table
}

func skipOptions(skip []string) (schema.TestSourceOptions, error) {
	var o schema.TestSourceOptions
	flags := map[string]*bool{
		"dates": &o.SkipDates, "durations": &o.SkipDurations, "intervals": &o.SkipIntervals,
		"large_types": &o.SkipLargeTypes, "lists": &o.SkipLists, "maps": &o.SkipMaps,
		"structs": &o.SkipStructs, "times": &o.SkipTimes, "timestamps": &o.SkipTimestamps,
		"decimals": &o.SkipDecimals,
	}
	for _, s := range skip {
		f, ok := flags[s]
		if !ok {
			return o, fmt.Errorf("skip: unknown group %q", s)
		}
		*f = true
	}
	return o, nil
}

func newTestdataClient(_ context.Context, _ zerolog.Logger, raw []byte, _ plugin.NewClientOptions) (plugin.Client, error) {
	spec := testdataSpec{Table: "test_testdata_table", NumRows: 1, BatchRows: 1000, Skip: []string{"maps"}}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &spec); err != nil {
			return nil, fmt.Errorf("cq-go-testdata spec: %w", err)
		}
	}
	if spec.BatchRows <= 0 {
		return nil, fmt.Errorf("cq-go-testdata spec: batch_rows must be positive")
	}
	opts, err := skipOptions(spec.Skip)
	if err != nil {
		return nil, fmt.Errorf("cq-go-testdata spec: %w", err)
	}
	t := schema.TestTable(spec.Table, opts)
	for _, name := range spec.DropColumns {
		kept := t.Columns[:0]
		for _, c := range t.Columns {
			if c.Name != name {
				kept = append(kept, c)
			}
		}
		if len(kept) == len(t.Columns) {
			return nil, fmt.Errorf("cq-go-testdata spec: drop_columns: no column %q", name)
		}
		t.Columns = kept
	}
	t.Columns = append(t.Columns, schema.Column{Name: "client_id", Type: arrow.PrimitiveTypes.Int64})
	if spec.PadBytes > 0 {
		t.Columns = append(t.Columns, schema.Column{Name: "pad", Type: arrow.BinaryTypes.Binary})
	}
	schema.AddCqIDs(t)
	return &testdataClient{spec: spec, table: t}, nil
}

func (c *testdataClient) Close(context.Context) error { return nil }

func (c *testdataClient) Tables(_ context.Context, o plugin.TableOptions) (schema.Tables, error) {
	return schema.Tables{c.table}.FilterDfs(o.Tables, o.SkipTables, o.SkipDependentTables)
}

// withIDs replaces the generator's _cq_id (drawn from 100,000 values, so it repeats) by a random
// UUID per row, as the SDK's scheduler gives, and sets _cq_parent_id null: the table has no parent.
// With pad > 0 the `pad` column holds pad bytes in row 0.
func withIDs(rec arrow.RecordBatch, pad int) arrow.RecordBatch {
	cols := rec.Columns()
	out := make([]arrow.Array, len(cols))
	for i, f := range rec.Schema().Fields() {
		switch f.Name {
		case schema.CqIDColumn.Name, schema.CqParentIDColumn.Name:
			b := types.NewUUIDBuilder(memory.DefaultAllocator)
			for r := int64(0); r < rec.NumRows(); r++ {
				if f.Name == schema.CqIDColumn.Name {
					b.Append(uuid.New())
				} else {
					b.AppendNull()
				}
			}
			out[i] = b.NewArray()
			b.Release()
		case "pad":
			b := array.NewBinaryBuilder(memory.DefaultAllocator, arrow.BinaryTypes.Binary)
			b.Append(make([]byte, pad))
			for r := int64(1); r < rec.NumRows(); r++ {
				b.AppendNull()
			}
			out[i] = b.NewArray()
			b.Release()
		default:
			cols[i].Retain()
			out[i] = cols[i]
		}
	}
	return array.NewRecordBatch(rec.Schema(), out, rec.NumRows())
}

func (c *testdataClient) Sync(ctx context.Context, o plugin.SyncOptions, res chan<- message.SyncMessage) error {
	if !plugin.MatchesTable(c.table.Name, o.Tables, o.SkipTables) {
		return nil
	}
	res <- &message.SyncMigrateTable{Table: c.table}
	gen := schema.NewTestDataGenerator(c.spec.Seed)
	// Fixed times so that two syncs of the same spec give the same values.
	stable := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var first arrow.RecordBatch
	for done := 0; done < c.spec.NumRows; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(c.spec.BatchRows, c.spec.NumRows-done)
		var rec arrow.RecordBatch
		switch {
		case c.spec.Repeat && first != nil:
			rec = first.NewSlice(0, int64(n))
		default:
			rec = gen.Generate(c.table, schema.GenTestDataOptions{
				MaxRows: n, StableTime: stable, SyncTime: stable, NullRows: c.spec.NullRows,
			})
			if c.spec.Repeat {
				first = rec
			}
		}
		res <- &message.SyncInsert{Record: withIDs(rec, c.spec.PadBytes)}
		done += n
	}
	return nil
}

func testdataPlugin() *plugin.Plugin {
	return plugin.NewPlugin("testdata", Version, newTestdataClient, plugin.WithKind("source"))
}

func main() {
	var p *plugin.Plugin
	switch name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"); name {
	case "cq-go-memdb":
		p = memdbPlugin()
	case "cq-go-testdata":
		p = testdataPlugin()
	default:
		fmt.Fprintf(os.Stderr, "%s: run me as cq-go-memdb or cq-go-testdata (a symlink)\n", name)
		os.Exit(2)
	}
	if err := serve.Plugin(p).Serve(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
