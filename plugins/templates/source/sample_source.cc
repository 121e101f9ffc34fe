#include "plugins/templates/source/sample_source.h"

#include <nlohmann/json.hpp>

#include "ferry/http/paging.h"

namespace ferry::plugins::sample {

SampleSource::SampleSource() { Declare(); }

Status SampleSource::Init(const Options& options, const SourceInit& init) {
  FERRY_ASSIGN_OR_RETURN(spec_, ParseSpec(options));
  set_source_name(init.name);
  sdk::TableSourceOptions sched;
  sched.concurrency = static_cast<int>(std::min<int64_t>(spec_.concurrency, 256));
  SetSchedulerOptions(sched);
  http::ClientOptions o;
  o.request_timeout = std::chrono::milliseconds(spec_.request_timeout_ms);
  o.rate_per_second = static_cast<double>(spec_.rate_per_second);
  FERRY_ASSIGN_OR_RETURN(client_, http::HttpClient::Make(std::move(o)));
  // CREDENTIALS: resolve them here with an http::CredentialChain, so a
  // missing one fails Init with every link tried, before any table runs.
  Declare();
  return Status::OK();
}

void SampleSource::Declare() {
  sdk::TableDef items;
  items.schema.name = kItemsTable;
  items.schema.description = "Items of the API's /items listing";
  items.schema.columns = {
      Column{.name = "id", .type = types::Int64(), .description = "The item's id", .primary_key = true},
      Column{.name = "name", .type = types::Utf8(), .description = "The item's name"},
  };
  items.resolve = [this](const sdk::ResolveContext& ctx, sdk::RowWriter& out) { return ResolveItems(ctx, out); };
  SetTables({std::move(items)});
}

Status SampleSource::ResolveItems(const sdk::ResolveContext& ctx, sdk::RowWriter& out) {
  if (!client_) return Status::Invalid("source \"" + source_name() + "\" was not initialised");
  // ctx.figures: the summary shows this table's requests, retries and throttles.
  http::Request first{.url = spec_.endpoint + "/items", .figures = ctx.figures};
  return http::ForEachPage(
      *client_, first, http::NextByBodyToken("next_token", "page_token"),
      [&](const http::Response& page) -> Status {
        auto doc = nlohmann::json::parse(page.body, nullptr, /*allow_exceptions=*/false);
        if (doc.is_discarded() || !doc.contains("items") || !doc["items"].is_array())
          return Status::IOError(spec_.endpoint + "/items: the answer has no \"items\" list");
        for (const auto& item : doc["items"]) {
          if (!item.is_object() || !item.contains("id") || !item["id"].is_number_integer())
            return Status::IOError(spec_.endpoint + "/items: an item has no integer \"id\": " + item.dump().substr(0, 200));
          Row row{Value::Int(item["id"].get<int64_t>()),
                  item.contains("name") && item["name"].is_string() ? Value::String(item["name"].get<std::string>())
                                                                    : Value::Null()};
          FERRY_RETURN_NOT_OK(out.Write(std::move(row)));
        }
        return Status::OK();
      },
      &ctx.cancelled);
}

SourcePlugin SampleSourcePlugin() {
  SourcePlugin p;
  p.name = "sample";
  p.description = "Template API source: one paged JSON listing through the shared HTTP client";
  p.options = SpecOptions();
  p.create = []() -> std::unique_ptr<ferry::Source> { return std::make_unique<SampleSource>(); };
  return p;
}

Status Register(Registry& registry) { return registry.AddSource(SampleSourcePlugin()); }

}  // namespace ferry::plugins::sample
