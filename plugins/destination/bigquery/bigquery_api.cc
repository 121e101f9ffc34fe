#include "plugins/destination/bigquery/bigquery_api.h"

#include <chrono>
#include <thread>

#include "ferry/redact.h"

namespace ferry::plugins::bigquery {

using nlohmann::json;

namespace {

constexpr const char* kApiBase = "https://bigquery.googleapis.com";

// BigQuery's throttling and server-side reasons (its error table): worth
// another attempt by the engine. quotaExceeded (a daily or project quota) is
// not: it lasts longer than any retry.
bool TransientReason(const std::string& reason) {
  return reason == "rateLimitExceeded" || reason == "backendError" || reason == "internalError";
}

std::string FirstReason(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  const json& e = body["error"];
  if (e.contains("errors") && e["errors"].is_array() && !e["errors"].empty() && e["errors"][0].is_object())
    return e["errors"][0].value("reason", "");
  return e.value("status", "");
}

}  // namespace

Result<std::unique_ptr<BigQueryApi>> BigQueryApi::Make(const Spec& spec, const std::string& what,
                                                       http::EnvLookup env) {
  std::unique_ptr<BigQueryApi> api(new BigQueryApi());
  api->spec_ = spec;
  api->what_ = what;
  api->base_ = spec.endpoint.empty() ? std::string(kApiBase) : spec.endpoint;
  while (!api->base_.empty() && api->base_.back() == '/') api->base_.pop_back();
  if (!spec.service_account_key_json.empty()) RegisterSecret(spec.service_account_key_json);

  http::ClientOptions co;
  co.user_agent = "ferry-bigquery";
  // One attempt per call: the engine retries what this classifies Transient.
  // Every answer comes back to ApiError (a 429 or 503 says the request was
  // not processed); only a missing answer is the client's error.
  co.retry.max_retries = 0;
  co.classify = [](const http::Response&) { return http::Verdict::kOk; };
  co.request_timeout = std::chrono::milliseconds(120000);
  FERRY_ASSIGN_OR_RETURN(auto client, http::HttpClient::Make(co));
  api->http_ = std::move(client);

  http::GoogleAuthOptions ao;
  ao.endpoint = spec.endpoint;
  ao.service_account_key_json = spec.service_account_key_json;
  ao.what = what;
  ao.env = env;
  FERRY_ASSIGN_OR_RETURN(api->auth_, http::GoogleAuthorizer::Make(ao, api->http_));

  api->job_project_ = spec.job_project();
  if (api->job_project_ == kDetectProjectId) {
    std::string found;
    if (!spec.service_account_key_json.empty()) {
      auto key = http::ParseServiceAccountKey(spec.service_account_key_json, "service_account_key_json");
      if (key.ok()) found = key->project_id;
    }
    for (const char* var : {"GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "CLOUDSDK_CORE_PROJECT"}) {
      if (!found.empty()) break;
      if (auto v = env(var); v && !v->empty()) found = *v;
    }
    if (found.empty())
      return Status::Invalid(what + ": client_project_id is *detect-project-id* but no project was found (not in "
                             "service_account_key_json, nor GOOGLE_CLOUD_PROJECT, GCLOUD_PROJECT or "
                             "CLOUDSDK_CORE_PROJECT); set client_project_id to the project's id");
    api->job_project_ = found;
  }
  return api;
}

std::string BigQueryApi::QuoteIdentifier(const std::string& name) {
  std::string q = "`";
  for (char c : name) {
    if (c == '`' || c == '\\') q += '\\';
    q += c;
  }
  return q + "`";
}

std::string BigQueryApi::QualifiedName(const std::string& table) const {
  return QuoteIdentifier(spec_.project_id) + "." + QuoteIdentifier(spec_.dataset_id) + "." + QuoteIdentifier(table);
}

std::string BigQueryApi::TableUrl(const std::string& table) const {
  return base_ + "/bigquery/v2/projects/" + http::PercentEncode(spec_.project_id) + "/datasets/" +
         http::PercentEncode(spec_.dataset_id) + "/tables" + (table.empty() ? "" : "/" + http::PercentEncode(table));
}

Status BigQueryApi::ApiError(const http::Response& r, const std::string& call) const {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  std::string message;
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    message = body["error"].value("message", "");
  if (message.empty()) message = r.body.substr(0, 500);
  const std::string reason = FirstReason(body);
  std::string text = what_ + ": " + call + ": HTTP " + std::to_string(r.status) +
                     (reason.empty() ? "" : " " + reason) + ": " + message;
  if (r.status == 429 || r.status >= 500 || TransientReason(reason)) return Status::Transient(Redact(text));
  return Status::IOError(Redact(text));
}

Result<http::Response> BigQueryApi::Send(http::Request request, const std::string& call) {
  FERRY_RETURN_NOT_OK(auth_->Authorize(request));
  if (!request.body.empty()) request.headers["Content-Type"] = "application/json";
  auto r = http_->Do(request);
  if (!r.ok()) {
    // No answer. GET, DELETE and the read-only calls can be repeated; the
    // caller decides for the others (the engine retries Transient).
    return Status::Transient(what_ + ": " + call + ": " + r.status().message());
  }
  return r;
}

Status BigQueryApi::CheckDataset() {
  http::Request req;
  req.url = base_ + "/bigquery/v2/projects/" + http::PercentEncode(spec_.project_id) + "/datasets/" +
            http::PercentEncode(spec_.dataset_id);
  const std::string call = "datasets.get of " + spec_.project_id + ":" + spec_.dataset_id;
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status == 404)
    return Status::NotFound(what_ + ": dataset " + spec_.dataset_id + " does not exist in project " +
                            spec_.project_id + ": create it before the sync (`bq mk --dataset " + spec_.project_id +
                            ":" + spec_.dataset_id + "`), as CloudQuery's BigQuery destination also requires");
  if (r.status / 100 != 2) return ApiError(r, call);
  return Status::OK();
}

Result<std::optional<json>> BigQueryApi::GetTable(const std::string& table) {
  http::Request req;
  req.url = TableUrl(table);
  const std::string call = "tables.get of table " + table;
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status == 404) return std::optional<json>();
  if (r.status / 100 != 2) return ApiError(r, call);
  json body = json::parse(r.body, nullptr, false);
  if (!body.is_object()) return Status::IOError(what_ + ": " + call + ": the answer is not a JSON object");
  return std::optional<json>(std::move(body));
}

Status BigQueryApi::InsertTable(const json& resource) {
  http::Request req;
  req.method = "POST";
  req.url = TableUrl("");
  req.body = resource.dump();
  const std::string call = "tables.insert of table " + resource["tableReference"].value("tableId", "");
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status / 100 != 2) return ApiError(r, call);
  return Status::OK();
}

Status BigQueryApi::PatchSchema(const std::string& table, const json& fields) {
  http::Request req;
  req.method = "PATCH";
  req.url = TableUrl(table);
  req.body = json{{"schema", {{"fields", fields}}}}.dump();
  const std::string call = "tables.patch of table " + table;
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status / 100 != 2) return ApiError(r, call);
  return Status::OK();
}

Status BigQueryApi::DeleteTable(const std::string& table) {
  http::Request req;
  req.method = "DELETE";
  req.url = TableUrl(table);
  const std::string call = "tables.delete of table " + table;
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status == 404 || r.status / 100 == 2) return Status::OK();
  return ApiError(r, call);
}

Result<json> BigQueryApi::Query(const std::string& sql, const json& params, const std::string& what) {
  json body = {{"query", sql}, {"useLegacySql", false}, {"timeoutMs", 60000}};
  if (!params.empty()) {
    body["parameterMode"] = "NAMED";
    body["queryParameters"] = params;
  }
  if (!spec_.dataset_location.empty()) body["location"] = spec_.dataset_location;
  http::Request req;
  req.method = "POST";
  req.url = base_ + "/bigquery/v2/projects/" + http::PercentEncode(job_project_) + "/queries";
  req.body = body.dump();
  const std::string call = "jobs.query (" + what + ")";
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status / 100 != 2) return ApiError(r, call);
  json res = json::parse(r.body, nullptr, false);
  // A job that is still running after timeoutMs: wait for it with
  // jobs.getQueryResults (read-only, safe to repeat).
  for (int polls = 0; res.is_object() && !res.value("jobComplete", true); ++polls) {
    const json& ref = res.value("jobReference", json::object());
    http::Request get;
    get.url = base_ + "/bigquery/v2/projects/" + http::PercentEncode(job_project_) + "/queries/" +
              http::PercentEncode(ref.value("jobId", "")) + "?timeoutMs=60000" +
              (ref.contains("location") ? "&location=" + http::PercentEncode(ref.value("location", "")) : "");
    FERRY_ASSIGN_OR_RETURN(http::Response g, Send(std::move(get), call));
    if (g.status / 100 != 2) return ApiError(g, call);
    res = json::parse(g.body, nullptr, false);
    if (polls > 120) return Status::Transient(what_ + ": " + call + ": the job did not finish in 2 hours");
  }
  if (!res.is_object()) return Status::IOError(what_ + ": " + call + ": the answer is not a JSON object");
  // Some servers (the emulator) answer a failed statement with 200 and errors.
  if (res.contains("errors") && res["errors"].is_array() && !res["errors"].empty()) {
    const json& e = res["errors"][0];
    return Status::IOError(Redact(what_ + ": " + call + ": " + e.value("reason", "") + ": " + e.value("message", "")));
  }
  return res;
}

Result<std::vector<InsertError>> BigQueryApi::InsertAll(const std::string& table, std::string body) {
  http::Request req;
  req.method = "POST";
  req.url = TableUrl(table) + "/insertAll";
  req.body = std::move(body);
  const std::string call = "tabledata.insertAll into table " + table;
  auto sent = Send(std::move(req), call);
  if (!sent.ok())
    // No answer to the POST: BigQuery may or may not have stored the rows,
    // and insertAll cannot tell a repeat from new rows, so this is not
    // retried (the Storage Write API's offsets can be).
    return Status::IOError(sent.status().message() + " (no answer: the rows of this request may or may not be in "
                           "table " + table + ")");
  http::Response r = std::move(*sent);
  if (r.status / 100 != 2) return ApiError(r, call);
  json res = json::parse(r.body, nullptr, false);
  std::vector<InsertError> errors;
  if (res.is_object() && res.contains("insertErrors"))
    for (const json& row : res["insertErrors"])
      for (const json& e : row.value("errors", json::array()))
        errors.push_back({row.value("index", int64_t{0}), e.value("reason", ""), e.value("location", ""),
                          e.value("message", "")});
  return errors;
}

Result<json> BigQueryApi::ListRows(const std::string& table, const std::string& page_token, int64_t max_results) {
  http::Request req;
  req.url = TableUrl(table) + "/data?formatOptions.useInt64Timestamp=true&maxResults=" + std::to_string(max_results) +
            (page_token.empty() ? "" : "&pageToken=" + http::PercentEncode(page_token));
  const std::string call = "tabledata.list of table " + table;
  FERRY_ASSIGN_OR_RETURN(http::Response r, Send(std::move(req), call));
  if (r.status / 100 != 2) return ApiError(r, call);
  json res = json::parse(r.body, nullptr, false);
  if (!res.is_object()) return Status::IOError(what_ + ": " + call + ": the answer is not a JSON object");
  return res;
}

}  // namespace ferry::plugins::bigquery
