#include "ferry/http/paging.h"

#include <set>

#include <nlohmann/json.hpp>

#include "ferry/http/client.h"
#include "ferry/redact.h"

namespace ferry::http {

std::string WithQueryParam(const std::string& url, const std::string& name, const std::string& value) {
  const size_t hash = url.find('#');
  std::string base = url.substr(0, hash), fragment = hash == std::string::npos ? "" : url.substr(hash);
  const size_t q = base.find('?');
  std::string path = base.substr(0, q), query = q == std::string::npos ? "" : base.substr(q + 1);
  std::string kept;
  size_t pos = 0;
  while (pos <= query.size() && !query.empty()) {
    size_t amp = query.find('&', pos);
    std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!part.empty() && part.substr(0, part.find('=')) != name) kept += (kept.empty() ? "" : "&") + part;
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  kept += (kept.empty() ? "" : "&") + name + "=" + PercentEncode(value);
  return path + "?" + kept + fragment;
}

Status ForEachPage(HttpClient& client, Request first, const NextPage& next,
                   const std::function<Status(const Response& page)>& on_page, const std::atomic<bool>* cancel) {
  std::set<std::string> seen;
  std::optional<Request> req = std::move(first);
  while (req) {
    if (cancel && cancel->load()) return Status::Cancelled(req->method + " " + UrlForMessages(req->url) + ": cancelled");
    const std::string key = req->url + "\n" + req->body;
    if (!seen.insert(key).second)
      return Status::IOError(req->method + " " + UrlForMessages(req->url) +
                             ": the API returned the same next-page token again after " + std::to_string(seen.size()) +
                             " pages; stopping instead of looping forever");
    FERRY_ASSIGN_OR_RETURN(Response page, client.Do(*req));
    if (page.status < 200 || page.status >= 300) {
      std::string body = page.body.size() > 300 ? page.body.substr(0, 300) + "..." : page.body;
      return Status::IOError(req->method + " " + UrlForMessages(req->url) + ": HTTP " + std::to_string(page.status) +
                             ": " + Redact(body));
    }
    FERRY_RETURN_NOT_OK(on_page(page));
    FERRY_ASSIGN_OR_RETURN(req, next(*req, page));
  }
  return Status::OK();
}

NextPage NextByBodyToken(std::string field, std::string param) {
  return [field = std::move(field), param = std::move(param)](const Request& req,
                                                             const Response& page) -> Result<std::optional<Request>> {
    auto doc = nlohmann::json::parse(page.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object())
      return Status::IOError(req.method + " " + UrlForMessages(req.url) + ": the page is not a JSON object");
    auto it = doc.find(field);
    if (it == doc.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty()))
      return std::optional<Request>();
    if (!it->is_string())
      return Status::IOError(req.method + " " + UrlForMessages(req.url) + ": " + field + " is not a string");
    Request n = req;
    n.url = WithQueryParam(req.url, param, it->get<std::string>());
    return std::optional<Request>(std::move(n));
  };
}

NextPage NextByLinkHeader() {
  return [](const Request& req, const Response& page) -> Result<std::optional<Request>> {
    const std::string link = page.Header("Link");
    // Entries: <url>; rel="next", <url>; rel="last"
    size_t pos = 0;
    while ((pos = link.find('<', pos)) != std::string::npos) {
      const size_t close = link.find('>', pos);
      if (close == std::string::npos) break;
      const std::string url = link.substr(pos + 1, close - pos - 1);
      const size_t end = link.find('<', close);
      const std::string params = link.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
      if (params.find("rel=\"next\"") != std::string::npos || params.find("rel=next") != std::string::npos) {
        Request n = req;
        n.url = url;
        return std::optional<Request>(std::move(n));
      }
      pos = close;
    }
    return std::optional<Request>();
  };
}

}  // namespace ferry::http
