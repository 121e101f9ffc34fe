#include "plugins/source/aws/table_resolver.h"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <ctime>
#include <deque>
#include <set>
#include <thread>

#include "ferry/http/client.h"
#include "ferry/text_codec.h"

namespace ferry::plugins::aws {
namespace {

using json = nlohmann::json;

// Per-item calls (detail, enrich) of one page made at once, per task.
constexpr size_t kItemCallsInFlight = 8;
// Items decoded at once from a page when each makes calls of its own.
constexpr size_t kLazyChunk = 64;

const json* At(const json& doc, const std::vector<std::string>& path) { return JsonAt(doc, path); }

// Names an item in messages: its ARN, id or name, whichever it has.
std::string ItemName(const json& item) {
  if (item.is_string()) return item.get<std::string>();
  if (!item.is_object()) return "(item)";
  for (const char* k : {"Arn", "ARN", "arn", "Id", "id", "Name", "name"}) {
    auto it = item.find(k);
    if (it != item.end() && it->is_string()) return it->get<std::string>();
  }
  for (const auto& [k, v] : item.items())
    if (v.is_string() && (k.size() > 2 && (k.ends_with("Id") || k.ends_with("Arn") || k.ends_with("Name"))))
      return v.get<std::string>();
  return "(item)";
}

std::string Truncate(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

// "%7B%22Version%22..." -> "{\"Version\"...": IAM sends policy documents URL-encoded.
std::string UrlDecode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

// A JSON column's value: a string holding a JSON document (a policy) is the
// document itself, as CloudQuery stores it; URL-encoded documents (IAM) are
// decoded first.
json JsonDocument(const json& v) {
  if (!v.is_string()) return v;
  const std::string& s = v.get_ref<const std::string&>();
  json doc = json::parse(s, nullptr, false);
  if (!doc.is_discarded()) return doc;
  if (s.find('%') != std::string::npos) {
    doc = json::parse(UrlDecode(s), nullptr, false);
    if (!doc.is_discarded()) return doc;
  }
  return v;
}

// [{Key, Value}] -> {key: value}; a missing value is "", as CloudQuery's TagsToMap.
json TagsMap(const json* v) {
  json out = json::object();
  if (!v) return out;
  if (v->is_object()) return *v;   // already a map (Lambda, SQS)
  if (!v->is_array()) return out;
  for (const auto& t : *v) {
    if (!t.is_object()) continue;
    const json* k = nullptr;
    const json* val = nullptr;
    for (const auto& [name, x] : t.items()) {  // Key/Value, key/value (ECS), TagKey/TagValue (KMS)
      if (name == "Key" || name == "key" || name == "TagKey") k = &x;
      if (name == "Value" || name == "value" || name == "TagValue") val = &x;
    }
    if (!k || !k->is_string()) continue;
    out[k->get<std::string>()] = val && val->is_string() ? val->get<std::string>() : std::string();
  }
  return out;
}

std::string Where(const Target& t) {
  return "account " + t.account_id + (t.region.empty() ? "" : ", region " + t.region);
}

// A for_each value in a warning: a text as itself, anything else as JSON.
std::string EachText(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

Expander MakeExpander(const Target& target, const sdk::ResolveContext* ctx, const json* item);

// {today}, {today+N}, {today-N}: the UTC date N days on or back, YYYY-MM-DD
// (Cost Explorer's time periods).
Result<std::string> TodayPlus(const std::string& name) {
  int64_t days = 0;
  if (name.size() > 5) {
    const char sign = name[5];
    const char* first = name.data() + 6;
    const char* last = name.data() + name.size();
    auto [end, ec] = std::from_chars(first, last, days);
    if ((sign != '+' && sign != '-') || first == last || ec != std::errc() || end != last || days > 36500)
      return Status::Invalid("unknown placeholder {" + name + "}");
    if (sign == '-') days = -days;
  } else if (name != "today") {
    return Status::Invalid("unknown placeholder {" + name + "}");
  }
  const std::time_t t = std::time(nullptr) + days * 86400;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return std::string(buf);
}

// Alternatives: "{item.ASSERTION.SafetyRuleArn,item.GATING.SafetyRuleArn}" is
// the first of them the item has (a Route 53 ARC safety rule is one of two
// structures); NotFound when it has none.
// A placeholder's filter: "|basename" keeps what follows the last '/'
// (Route 53's "/hostedzone/Z123" -> "Z123"); "|join" writes a list's items
// joined with ',' (a list the item lacks is empty: Lightsail's port states
// omit empty CIDR lists).
Expander WithFilters(Expander plain) {
  Expander inner = [plain = std::move(plain)](const std::string& names) -> Result<std::string> {
    size_t start = 0;
    for (size_t comma = names.find(','); comma != std::string::npos; comma = names.find(',', start)) {
      auto got = plain(names.substr(start, comma - start));
      if (got.ok() || got.status().code() != StatusCode::kNotFound) return got;
      start = comma + 1;
    }
    return plain(names.substr(start));
  };
  return [inner = std::move(inner)](const std::string& spec) -> Result<std::string> {
    auto bar = spec.find('|');
    if (bar == std::string::npos) return inner(spec);
    const std::string filter = spec.substr(bar + 1);
    auto got = inner(spec.substr(0, bar));
    if (filter == "join") {
      if (!got.ok()) {
        if (got.status().code() == StatusCode::kNotFound) return std::string();
        return got.status();
      }
      json list = json::parse(*got, nullptr, false);
      if (!list.is_array()) return Status::Invalid("{" + spec + "}: not a list");
      std::string out;
      for (const auto& x : list) {
        if (!out.empty()) out += ',';
        out += x.is_string() ? x.get<std::string>() : x.dump();
      }
      return out;
    }
    FERRY_ASSIGN_OR_RETURN(std::string v, std::move(got));
    if (filter == "basename") {
      auto slash = v.rfind('/');
      return slash == std::string::npos ? v : v.substr(slash + 1);
    }
    return Status::Invalid("unknown placeholder filter |" + filter);
  };
}

Expander MakeExpander(const Target& target, const sdk::ResolveContext* ctx, const json* item) {
  return WithFilters([&target, ctx, item](const std::string& name) -> Result<std::string> {
    if (name == "account") return target.account_id;
    if (name == "region") return target.region;
    if (name == "partition") return target.partition;
    if (name == "each" || name.rfind("each.", 0) == 0) {
      // The value a for_each table is listed for: a text, or a member of an
      // object ({each.PillarId} of a lens review's pillar summary).
      if (!target.each) return Status::Invalid("{" + name + "} in a table without for_each");
      const json* v = name == "each" ? target.each : At(*target.each, SplitDots(name.substr(5)));
      if (!v || v->is_null()) return Status::NotFound("the value listed for has no " + name.substr(std::min<size_t>(5, name.size())));
      return v->is_string() ? v->get<std::string>() : v->dump();
    }
    if (name.rfind("today", 0) == 0) return TodayPlus(name);
    if (name == "item" || name.rfind("item.", 0) == 0) {
      if (!item) return Status::Invalid("{" + name + "} outside an item");
      const json* v = item;
      if (name != "item") v = At(*item, SplitDots(name.substr(5)));
      if (!v || v->is_null())
        return Status::NotFound("the item " + ItemName(*item) + " has no " + name.substr(std::min<size_t>(5, name.size())));
      return v->is_string() ? v->get<std::string>() : v->dump();
    }
    if (name.rfind("parent.", 0) == 0) {
      // {parent.COL} or {parent.COL.Json.Path} (a member of a JSON column).
      if (!ctx || !ctx->parent) return Status::Invalid("{" + name + "} without a parent row");
      std::vector<std::string> path = SplitDots(name.substr(7));
      const std::string col = path.front();
      path.erase(path.begin());
      const Value& v = ctx->ParentValue(col);
      // An integer column as its decimal text (a Well-Architected milestone's number, a Lambda layer
      // version's).
      if (v.kind() == Value::Kind::kInt && path.empty()) return std::to_string(v.as_int());
      if (v.kind() != Value::Kind::kString) return Status::Invalid("the parent row's " + col + " is not set");
      if (path.empty()) return v.as_string();
      json doc = json::parse(v.as_string(), nullptr, false);
      const json* f = doc.is_discarded() ? nullptr : At(doc, path);
      if (!f || !f->is_string()) return Status::Invalid("the parent row's " + name.substr(7) + " is not set");
      return f->get<std::string>();
    }
    return Status::Invalid("unknown placeholder {" + name + "}");
  });
}

// S3's rule for GetBucketLocation: no constraint is us-east-1, "EU" is eu-west-1.
std::string BucketRegion(const json& location) {
  if (!location.is_string() || location.get<std::string>().empty()) return "us-east-1";
  if (location == "EU") return "eu-west-1";
  return location.get<std::string>();
}

// Calls fn(0..n-1) on up to `width` threads (the caller's included).
// The threads count as holding the caller's big answer, if it holds one
// (CallPages: they must not wait for the slot their caller holds).
void ParallelFor(size_t n, size_t width, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const bool held = HoldingBigAnswer();
  std::vector<std::thread> threads;
  for (size_t t = 1; t < std::min(n, width); ++t)
    threads.emplace_back([&run, held] {
      BigAnswerInherit inherit(held);
      run();
    });
  run();
  for (auto& t : threads) t.join();
}

bool Listed(const std::vector<std::string>& codes, const std::string& code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

// The rows of a CSV document (RFC 4180: quoted fields may hold commas, quotes
// doubled, line breaks) as objects keyed by the header's names.
Status CsvRows(const std::string& text, std::vector<json>* out) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = any = true;
    } else if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        record.push_back(std::move(field));
        records.push_back(std::move(record));
      }
      field.clear();
      record.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (quoted) return Status::Invalid("the CSV document ends inside a quoted field");
  if (any || !field.empty()) {
    record.push_back(std::move(field));
    records.push_back(std::move(record));
  }
  if (records.empty()) return Status::OK();
  const std::vector<std::string>& header = records.front();
  for (size_t r = 1; r < records.size(); ++r) {
    if (records[r].size() != header.size())
      return Status::Invalid("CSV line " + std::to_string(r + 1) + " has " + std::to_string(records[r].size()) +
                             " fields, the header " + std::to_string(header.size()));
    json row = json::object();
    for (size_t f = 0; f < header.size(); ++f) row[header[f]] = records[r][f];
    out->push_back(std::move(row));
  }
  return Status::OK();
}

// Pages of one answer as one: lists concatenated, other members the last page's.
void MergePage(const json& page, json* merged) {
  if (!page.is_object()) return;
  for (const auto& [k, v] : page.items()) {
    auto it = merged->find(k);
    if (v.is_array() && it != merged->end() && it->is_array()) {
      for (const auto& x : v) it->push_back(x);
    } else {
      (*merged)[k] = v;
    }
  }
}

// {job.X}: a member of the answer that started the table's job, else `inner`'s.
Expander WithJob(Expander inner, const json* job) {
  return [inner = std::move(inner), job](const std::string& name) -> Result<std::string> {
    if (name.rfind("job.", 0) != 0) return inner(name);
    const json* v = At(*job, SplitDots(name.substr(4)));
    if (!v || v->is_null()) return Status::Invalid("the job's answer has no " + name.substr(4));
    return v->is_string() ? v->get<std::string>() : v->dump();
  };
}

// Starts the table's job and polls it until it is done (JobSpec): the
// answer that started it. Waits 0.5 s before the first poll, twice as long
// before each next one up to 5 s, for at most job.wait_seconds in all.
Result<json> RunJob(const JobSpec& job, const Service& svc, const Target& target, const ApiOptions& api,
                    const Expander& expand, const std::atomic<bool>& cancelled, ApiCallFigures* figures,
                    ApiError* err) {
  auto once = [&](const Call& c, const Expander& ex) -> Result<json> {
    json answer;
    FERRY_RETURN_NOT_OK(CallPages(svc, c, target, api, ex, figures, [&](const json& page) {
      answer = page;
      return Status::OK();
    }, err));
    return answer;
  };
  auto status_of = [&](const json& answer) {
    const json* v = At(answer, job.status);
    return v && v->is_string() ? v->get<std::string>() : std::string();
  };
  FERRY_ASSIGN_OR_RETURN(json started, once(job.start, expand));
  const Expander with_job = WithJob(expand, &started);
  std::string status = job.has_poll ? std::string() : status_of(started);
  json last = started;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(job.wait_seconds);
  auto wait = std::chrono::milliseconds(500);
  while (!Listed(job.done, status)) {
    if (Listed(job.failed, status)) {
      std::string why;
      if (const json* e = At(last, {"Error"}); e && !e->is_null()) why = ": " + Truncate(e->dump(), 300);
      return Status::IOError(job.start.operation + "'s job ended " + status + why);
    }
    if (std::chrono::steady_clock::now() + wait > deadline)
      return Status::IOError(job.start.operation + "'s job was not done after " + std::to_string(job.wait_seconds) +
                             " s (status " + (status.empty() ? "not yet known" : status) + ")");
    for (auto slept = std::chrono::milliseconds(0); slept < wait; slept += std::chrono::milliseconds(100)) {
      if (cancelled.load()) return Status::Cancelled("sync cancelled");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    wait = std::min<std::chrono::milliseconds>(wait * 2, std::chrono::seconds(5));
    FERRY_ASSIGN_OR_RETURN(last, once(job.has_poll ? job.poll : job.start, with_job));
    status = status_of(last);
  }
  return started;
}

}  // namespace

bool IsSkipCode(const std::string& code) {
  static const char* kCodes[] = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation",
                                 "AuthorizationError", "Unauthorized", "InsufficientPrivilegesException",
                                 "OptInRequired", "SubscriptionRequiredException", "AWSOrganizationsNotInUseException",
                                 "UnrecognizedClientException", "InvalidClientTokenId", "UnauthorizedException",
                                 "OptInRequiredException"};
  for (const char* c : kCodes)
    if (code == c) return true;
  return false;
}

Row ItemToRow(const CatalogTable& table, const json& listed, const json& item, const Target& target,
              const sdk::ResolveContext* ctx, std::vector<std::string>* warnings) {
  Row row;
  row.reserve(table.columns.size());
  for (const auto& c : table.columns) {
    switch (c.source) {
      case ColumnSource::kAccount:
        row.push_back(Value::String(target.account_id));
        continue;
      case ColumnSource::kRegion:
        row.push_back(target.region.empty() ? Value::Null() : Value::String(target.region));
        continue;
      case ColumnSource::kPartition:
        row.push_back(Value::String(target.partition));
        continue;
      case ColumnSource::kParent:
        row.push_back(ctx && ctx->parent ? ctx->ParentValue(c.path[0]) : Value::Null());
        continue;
      case ColumnSource::kTemplate: {
        auto text = ExpandText(c.text, MakeExpander(target, ctx, &listed));
        row.push_back(text.ok() ? Value::String(*text) : Value::Null());
        continue;
      }
      case ColumnSource::kItem:
      case ColumnSource::kField:
        break;
    }
    json tmp;
    const json* v = c.source == ColumnSource::kItem ? &item : At(item, c.path);
    // first:A,B: the next path while the item has nothing at this one.
    for (size_t f = 0; f < c.fallback_paths.size() && (!v || v->is_null()); ++f) v = At(item, c.fallback_paths[f]);
    if (c.source == ColumnSource::kItem && item.is_object()) {
      // Without the keys Ferry added (_listed, _tags, ...).
      tmp = json::object();
      for (const auto& [k, x] : item.items())
        if (k.empty() || k[0] != '_') tmp[k] = x;
      v = &tmp;
    }
    if (v && v->is_string() && !c.null_if.empty() &&
        std::find(c.null_if.begin(), c.null_if.end(), v->get_ref<const std::string&>()) != c.null_if.end()) {
      row.push_back(Value::Null());
      continue;
    }
    if (c.transform == "tags") {
      tmp = TagsMap(v);
      v = &tmp;
    } else if (c.transform == "opted_in") {
      tmp = v && v->is_string() ? json(v->get<std::string>() != "not-opted-in") : json();
      v = &tmp;
    } else if (c.kind == ValueKind::kJson && v) {
      tmp = JsonDocument(*v);
      v = &tmp;
    }
    if (!v || v->is_null()) {
      row.push_back(Value::Null());
      continue;
    }
    auto converted = ConvertJson(c.kind, *v);
    if (!converted.ok()) {
      if (warnings)
        warnings->push_back(Where(target) + ", " + ItemName(item) + ", column " + c.name + ": " +
                            Truncate(v->dump(), 100) + " does not fit its type; stored as NULL");
      row.push_back(Value::Null());
      continue;
    }
    row.push_back(*std::move(converted));
  }
  return row;
}

TableSchema SchemaOf(const CatalogTable& table) {
  TableSchema s;
  s.name = table.name;
  s.description = table.description;
  s.is_incremental = table.incremental;
  s.is_paid = table.paid;
  for (const auto& c : table.columns) {
    Column col;
    col.name = c.name;
    col.type = TypeOf(c.kind);
    col.primary_key = c.primary_key;
    col.incremental_key = table.incremental && c.name == table.cursor_column;
    s.columns.push_back(std::move(col));
  }
  return s;
}

namespace {

// Lists the table once for `target` (for one for_each value, if the table has
// them): after its job is done (job), over every node of its tree (walk), its
// pages one by one or merged into one (merge_pages), the items maybe the lines
// of a CSV document (csv). *skipped: AWS answered a skip code (a warning was given).
Status ResolveOnce(const CatalogTable& table, const ApiOptions& api, const sdk::ResolveContext& ctx,
                   sdk::RowWriter& out, const Target& target, bool* skipped) {
  const Service& svc = *table.service;
  std::vector<std::string> warnings;

  // Incremental tables: items from the stored cursor (minus the lookback) on.
  Call call = table.call;
  int64_t cursor_us = INT64_MIN, newest_us = INT64_MIN;
  size_t cursor_index = 0;
  if (table.incremental) {
    for (size_t i = 0; i < table.columns.size(); ++i)
      if (table.columns[i].name == table.cursor_column) cursor_index = i;
    const std::string stored = ctx.Cursor(table.name);
    if (!stored.empty()) {
      auto t = ParseRfc3339(stored);
      if (!t.ok())
        return Status::Invalid(table.name + ": the stored cursor \"" + stored + "\" is not an RFC 3339 time; "
                               "remove it (ferry state) to read everything again");
      cursor_us = *t;
      Input start = table.start_input;
      start.value = TimestampText(cursor_us - table.lookback_seconds * 1000000, TimestampStyle::kRfc3339Nano);
      call.inputs.push_back(std::move(start));
    }
  }
  // Writes a row, noting the newest cursor value it holds.
  auto write = [&](Row row) -> Status {
    if (table.incremental && cursor_index < row.size() && row[cursor_index].kind() == Value::Kind::kInt)
      newest_us = std::max(newest_us, row[cursor_index].as_int());
    return out.Write(std::move(row));
  };
  auto flush_warnings = [&] {
    for (const auto& w : warnings) ctx.Warning(table.name, w);
    warnings.clear();
  };

  // One listed item made ready to write: its detail (the rows), each
  // enriched with the table's per-item calls. Runs on several threads at
  // once (below), so it only touches its own Prepared.
  struct Prepared {
    Status status;
    std::vector<json> items;
    std::vector<std::string> warnings;
    ApiCallFigures figures;
  };
  auto enrich = [&](json& item, Prepared& p) -> Status {
    for (const auto& e : table.enrich) {
      Target et = target;
      if (!e.region.empty()) {
        auto r = ExpandText(e.region, MakeExpander(target, &ctx, &item));
        if (!r.ok()) continue;   // no region known (the location call was skipped): nothing to add
        et.region = *r;
      }
      ApiError err;
      json value = e.collect ? json::array() : json();
      Status s = CallPages(svc, e, et, api, MakeExpander(et, &ctx, &item), &p.figures,
                           [&](const json& page) {
                             ForEachItem(page, e.items, 0, [&](const json& x) {
                               if (e.collect) value.push_back(x);
                               else value = x;
                             });
                             return Status::OK();
                           }, &err);
      if (!s.ok()) {
        if (err.http_status == 0) return s;
        if (!Listed(e.ignore_errors, err.code))
          p.warnings.push_back(Where(et) + ", " + ItemName(item) + ": " + e.operation + " skipped: " + s.message());
        continue;
      }
      if (!item.is_object()) continue;
      item[e.as] = value;
      // S3: the bucket's region, which the per-bucket calls and tables use.
      if (e.operation == "GetBucketLocation") item["_region"] = BucketRegion(value);
    }
    return Status::OK();
  };
  auto prepare = [&](const json& listed) -> Prepared {
    Prepared p;
    if (!table.has_detail) {
      p.items.push_back(listed);
    } else {
      ApiError err;
      Status s = CallPages(svc, table.detail, target, api, MakeExpander(target, &ctx, &listed), &p.figures,
                           [&](const json& page) {
                             ForEachItem(page, table.detail.items, 0, [&](const json& x) { p.items.push_back(x); });
                             return Status::OK();
                           }, &err);
      if (!s.ok()) {
        // Gone since it was listed, or not readable: that item only.
        if (err.http_status == 0) p.status = s;
        else if (!Listed(table.ignore_errors, err.code))
          p.warnings.push_back(Where(target) + ", " + ItemName(listed) + ": " + table.detail.operation +
                               " skipped: " + s.message());
        p.items.clear();
        return p;
      }
    }
    for (auto& d : p.items) {
      // What was listed (SQS's queue URL, an SES identity's summary), for the
      // per-item calls ({item._listed}) and columns (path:_listed.SendingEnabled)
      // the detail's answer lacks.
      if (table.has_detail && d.is_object()) d["_listed"] = listed;
      p.status = enrich(d, p);
      if (!p.status.ok()) return p;
    }
    return p;
  };
  const bool per_item_calls = table.has_detail || !table.enrich.empty();

  json job_answer;
  std::vector<std::string> walk_next;   // ids the walk visits next
  // The items of a page: rows, after their per-item calls.
  auto on_items = [&](const std::vector<const json*>& listed) -> Status {
    if (!per_item_calls) {   // the listed items are the rows (no copies)
      for (const json* item : listed)
        FERRY_RETURN_NOT_OK(write(ItemToRow(table, *item, *item, target, &ctx, &warnings)));
      flush_warnings();
      return Status::OK();
    }
    // The items' own calls, kItemCallsInFlight at a time: with 50 ms
    // per request, a page of 100 IAM users is 5 s one by one.
    std::vector<Prepared> ready(listed.size());
    ParallelFor(listed.size(), kItemCallsInFlight,
                [&](size_t i) { ready[i] = prepare(*listed[i]); });
    // Rows in the order listed, relations resolved by each Write.
    for (size_t i = 0; i < listed.size(); ++i) {
      Prepared& p = ready[i];
      if (ctx.figures) *ctx.figures += p.figures;
      for (auto& w : p.warnings) warnings.push_back(std::move(w));
      FERRY_RETURN_NOT_OK(p.status);
      for (const auto& item : p.items)
        FERRY_RETURN_NOT_OK(write(ItemToRow(table, *listed[i], item, target, &ctx, &warnings)));
    }
    flush_warnings();
    return Status::OK();
  };
  // Listed items: the ids a walk visits next noted, then made rows.
  auto on_listed = [&](const std::vector<const json*>& listed) -> Status {
    if (table.has_walk)
      for (const json* x : listed)
        if (const json* id = At(*x, table.walk_id); id && id->is_string()) walk_next.push_back(id->get<std::string>());
    return on_items(listed);
  };
  auto on_page = [&](const json& page) -> Status {
    std::vector<const json*> listed;
    std::vector<json> owned;   // rows of a CSV document, or items with their job's answer
    Status parsed;
    ForEachItem(page, table.call.items, 0, [&](const json& x) {
      if (table.csv.empty()) {
        listed.push_back(&x);
        return;
      }
      const json* doc = At(x, table.csv);
      if (!doc || !doc->is_string() || !parsed.ok()) return;
      auto text = DecodeBase64(doc->get<std::string>());
      parsed = text.ok() ? CsvRows(*text, &owned) : text.status();
    });
    if (!parsed.ok()) return Status::IOError(table.call.operation + ": " + parsed.message());
    if (table.has_job) {
      for (const json* x : listed) owned.push_back(*x);
      for (auto& o : owned)
        if (o.is_object()) o["_job"] = job_answer;
    }
    if (!table.csv.empty() || table.has_job) {
      listed.clear();
      for (const auto& o : owned) listed.push_back(&o);
    }
    return on_listed(listed);
  };
  // A page's items decoded as they are written: one at a time, or
  // kLazyChunk at a time when they make calls of their own (made
  // kItemCallsInFlight at a time). A page is never one JSON document: a page
  // of 1,000 EC2 instances would be ~24 MB of it (docs/benchmarks.md).
  const bool lazy = table.csv.empty() && !table.has_job && CanDecodeItemsLazily(table.call.items);
  auto on_lazy_page = [&](const json&, const PageItems& items) -> Status {
    const size_t chunk = per_item_calls ? kLazyChunk : 1;
    std::vector<json> owned;
    std::vector<const json*> listed;
    for (size_t i = 0; i < items.size(); i += chunk) {
      owned.clear();
      listed.clear();
      const size_t end = std::min(items.size(), i + chunk);
      owned.reserve(end - i);
      for (size_t k = i; k < end; ++k) owned.push_back(items.Decode(k));
      for (const auto& o : owned) listed.push_back(&o);
      FERRY_RETURN_NOT_OK(on_listed(listed));
    }
    return Status::OK();
  };
  // The pages of one call: each in turn, or all of them as one answer.
  auto read = [&](const Call& c, const Expander& expand, ApiError* e) -> Status {
    if (!table.merge_pages && lazy)
      return CallPageItems(svc, c, target, api, expand, ctx.figures, table.call.items, on_lazy_page, e);
    if (!table.merge_pages) return CallPages(svc, c, target, api, expand, ctx.figures, on_page, e);
    json merged = json::object();
    FERRY_RETURN_NOT_OK(CallPages(svc, c, target, api, expand, ctx.figures, [&](const json& page) {
      MergePage(page, &merged);
      return Status::OK();
    }, e));
    return on_page(merged);
  };

  ApiError err;
  Expander expand = MakeExpander(target, &ctx, nullptr);
  Status s;
  if (table.has_job) {
    auto started = RunJob(table.job, svc, target, api, expand, ctx.cancelled, ctx.figures, &err);
    if (started.ok()) {
      job_answer = *std::move(started);
      expand = WithJob(std::move(expand), &job_answer);
    } else {
      s = started.status();
    }
  }
  if (s.ok() && table.has_walk) {
    // A tree: the call for each id the start call lists, then for each item
    // every call lists, each id once.
    Status listed = CallPages(svc, table.walk_start, target, api, expand, ctx.figures, [&](const json& page) {
      ForEachItem(page, table.walk_start.items, 0, [&](const json& x) {
        if (const json* id = At(x, table.walk_id); id && id->is_string()) walk_next.push_back(id->get<std::string>());
      });
      return Status::OK();
    }, &err);
    std::set<std::string> seen;
    std::deque<std::string> queue(walk_next.begin(), walk_next.end());
    walk_next.clear();
    s = listed;
    while (s.ok() && !queue.empty()) {
      const std::string id = queue.front();
      queue.pop_front();
      if (!seen.insert(id).second) continue;
      Expander at = [&expand, &id](const std::string& name) -> Result<std::string> {
        return name == "walk" ? Result<std::string>(id) : expand(name);
      };
      err = ApiError{};
      s = read(call, at, &err);
      // A node whose answer is an ignored error (a unit deleted since it was
      // listed) has no children; the rest of the tree is still walked.
      if (!s.ok() && err.http_status != 0 && Listed(table.ignore_errors, err.code)) s = Status::OK();
      queue.insert(queue.end(), walk_next.begin(), walk_next.end());
      walk_next.clear();
    }
  } else if (s.ok()) {
    s = read(call, expand, &err);
  }
  flush_warnings();
  // The cursor only after every page: LookupEvents answers newest first, so
  // no earlier point covers everything before it. The engine commits it
  // after the rows it covers are written.
  if (s.ok() && table.incremental && newest_us > cursor_us)
    return out.Checkpoint(TimestampText(newest_us, TimestampStyle::kRfc3339Nano));
  if (s.ok()) return s;
  if (err.http_status != 0) {
    if (Listed(table.ignore_errors, err.code)) return Status::OK();
    if (IsSkipCode(err.code)) {
      ctx.Warning(table.name, Where(target) + (target.each ? " (" + EachText(*target.each) + ")" : std::string()) +
                                  ": skipped, " + s.message());
      *skipped = true;
      return Status::OK();
    }
  }
  return Status::IOError(table.name + ": " + s.message());
}

}  // namespace

Status ResolveTable(const CatalogTable& table, const ApiOptions& api, const sdk::ResolveContext& ctx,
                    sdk::RowWriter& out) {
  auto data = std::static_pointer_cast<const ClientData>(ctx.client.data);
  if (!data) return Status::Invalid(table.name + ": no AWS client");
  // A relation for some parent rows only (when_parent): none for the others.
  for (const auto& [col, cond] : table.when_parent) {
    if (!ctx.parent) return Status::Invalid(table.name + ": when_parent without a parent row");
    const Value& v = ctx.ParentValue(col);
    if (v.kind() == Value::Kind::kNull) return Status::OK();
    if (cond.present) continue;
    // A template: "{account}" is the account's id (the VPC endpoint services it owns).
    FERRY_ASSIGN_OR_RETURN(std::string want, ExpandText(cond.equals, MakeExpander(data->target, &ctx, nullptr)));
    if (v.kind() != Value::Kind::kString || v.as_string() != want) return Status::OK();
  }
  if (!data->not_offered.empty()) {
    // No endpoint in this region (AwsSource::ClientsFor): no call, no rows.
    ctx.Warning(table.name, data->not_offered);
    return Status::OK();
  }
  Target target = data->target;
  if (!table.region.empty()) {
    FERRY_ASSIGN_OR_RETURN(target.region, ExpandText(table.region, MakeExpander(data->target, &ctx, nullptr)));
  }
  if (table.paid && !api.use_paid_apis) {
    // Billed per request (Cost Explorer): one warning, no call.
    ctx.Warning(table.name, Where(target) + ": skipped, its API is billed per request; set use_paid_apis: true "
                            "to read it");
    return Status::OK();
  }
  bool skipped = false;
  if (!table.for_each.set) return ResolveOnce(table, api, ctx, out, target, &skipped);

  // for_each: the values, each listed once.
  const CatalogTable::ForEach& fe = table.for_each;
  std::vector<json> values = fe.values;
  if (fe.service) {
    // The items of a call (each IAM Identity Center instance's identity store
    // id): its AWS errors are the table's.
    ApiError err;
    Status s = CallPages(*fe.service, fe.call, target, api, MakeExpander(target, &ctx, nullptr), ctx.figures,
                         [&](const json& page) {
                           ForEachItem(page, fe.call.items, 0, [&](const json& x) { values.push_back(x); });
                           return Status::OK();
                         }, &err);
    if (!s.ok()) {
      if (err.http_status != 0) {
        if (Listed(table.ignore_errors, err.code)) return Status::OK();
        if (IsSkipCode(err.code)) {
          ctx.Warning(table.name, Where(target) + ": skipped, " + s.message());
          return Status::OK();
        }
      }
      return Status::IOError(table.name + ": " + s.message());
    }
  }
  if (!fe.parent_column.empty()) {
    // What the paths reach in the parent row's JSON column (none when the
    // column is NULL): a lens review's pillars, an MQ broker's configurations.
    if (!ctx.parent) return Status::Invalid(table.name + ": for_each over a parent column without a parent row");
    const Value& v = ctx.ParentValue(fe.parent_column);
    if (v.kind() == Value::Kind::kString) {
      json doc = json::parse(v.as_string(), nullptr, false);
      if (doc.is_discarded())
        return Status::Invalid(table.name + ": the parent row's " + fe.parent_column + " is not JSON");
      for (const auto& path : fe.parent_paths) ForEachItem(doc, path, 0, [&](const json& x) { values.push_back(x); });
    }
  }
  // Each value once (a configuration a broker names as current and in its history).
  std::vector<json> unique;
  for (auto& v : values)
    if (std::find(unique.begin(), unique.end(), v) == unique.end()) unique.push_back(std::move(v));
  for (const json& v : unique) {
    Target each = target;
    each.each = &v;
    // A skip code (not subscribed, denied) is the same for every value: one warning.
    FERRY_RETURN_NOT_OK(ResolveOnce(table, api, ctx, out, each, &skipped));
    if (skipped) break;
  }
  return Status::OK();
}

}  // namespace ferry::plugins::aws
