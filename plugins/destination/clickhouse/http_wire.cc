// HttpWire: wire.h over an HttpTransport.
#include "plugins/destination/clickhouse/client.h"
#include "plugins/destination/clickhouse/wire.h"

namespace ferry::plugins::clickhouse {

namespace {

class HttpWire final : public Wire {
 public:
  HttpWire(std::unique_ptr<HttpTransport> transport, Endpoint endpoint)
      : transport_(std::move(transport)), endpoint_(std::move(endpoint)) {}

  Result<WireResponse> Execute(const WireRequest& req) override {
    std::string q = "database=" + PercentEncode(endpoint_.database);
    auto add = [&q](const std::string& k, const std::string& v) {
      q += "&" + PercentEncode(k) + "=" + PercentEncode(v);
    };
    for (const auto& [k, v] : endpoint_.settings) add(k, v);
    if (req.insert) add("query", req.sql);
    if (!req.query_id.empty()) add("query_id", req.query_id);
    for (const auto& [k, v] : req.settings) add(k, v);
    std::vector<std::string> headers;
    if (req.gzip) headers.push_back("Content-Encoding: gzip");
    const HttpBody body = req.insert ? HttpBody{{}, req.insert} : HttpBody{req.sql, nullptr};
    FERRY_ASSIGN_OR_RETURN(HttpResponse r, transport_->Post(q, body, headers));
    WireResponse out;
    out.http_status = r.status;
    if (r.status == 200) {
      out.body = std::move(r.body);
      return out;
    }
    const ServerError e = ParseServerError(r.status, r.body);
    out.ok = false;
    out.code = e.code;
    out.message = e.message;
    return out;
  }
  bool native() const override { return false; }

 private:
  std::unique_ptr<HttpTransport> transport_;
  Endpoint endpoint_;
};

}  // namespace

std::unique_ptr<Wire> NewHttpWire(std::unique_ptr<HttpTransport> transport, const Endpoint& endpoint) {
  return std::make_unique<HttpWire>(std::move(transport), endpoint);
}

}  // namespace ferry::plugins::clickhouse
