// One generic client for every AWS API the catalog names: it builds the
// request of a catalog call for the protocol (query, ec2, json, rest-json,
// rest-xml), signs it (SigV4, ferry/http/aws_sigv4.h), sends it through the
// shared HTTP client (retries, throttling, per-host rate), follows the
// paginator's tokens, and reads every answer (XML or JSON) into the same
// JSON: keys are the model's member names, timestamps RFC 3339 text, as
// CloudQuery's Go structs render them.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ferry/api_call_figures.h"
#include "ferry/http/aws_sigv4.h"
#include "ferry/http/client.h"
#include "plugins/source/aws/catalog.h"

namespace pugi {
struct xml_node_struct;
}

namespace ferry::plugins::aws {

// Where and as whom one (account, region) calls.
struct Target {
  std::string account_id;
  std::string region;
  std::string partition = "aws";
  // A table listed once per value (CatalogTable::for_each): the value being
  // listed for, {each} in templates; null otherwise. Points into the resolver's
  // list of values, which outlives every use.
  const nlohmann::json* each = nullptr;
  // The account's credentials (temporary ones refreshed by the provider).
  std::function<Result<http::aws::AwsCredentials>()> credentials;
};

// What every call shares.
struct ApiOptions {
  http::HttpClient* http = nullptr;
  // custom_endpoint_url: every service at this URL (emulators, VPC endpoints),
  // signed for custom_endpoint_signing_region when set, else the target's region.
  std::string endpoint;
  std::string signing_region;
  const std::atomic<bool>* cancel = nullptr;
  // The spec's use_paid_apis: tables billed per request are read only then.
  bool use_paid_apis = false;
  // Endpoint discovery (Service::discovery_operation) is skipped on a custom
  // endpoint, as AWS's SDKs do. Tests only: discover there too, and reach
  // the address answered with this scheme.
  bool test_discovery_on_custom_endpoint = false;
  std::string test_discovery_scheme = "https://";
};

// The URL of `service` for `region` ("https://ec2.eu-west-1.amazonaws.com"),
// and the region to sign for (global services: us-east-1 in the aws partition).
std::string EndpointOf(const Service& service, const std::string& region, const std::string& partition,
                       const ApiOptions& options, std::string* signing_region);

// "aws", "aws-cn" or "aws-us-gov" for a region name.
std::string PartitionOf(const std::string& region);

// Placeholders of inputs and templates: {item}, {item.A.B}, {parent.COL},
// {account}, {region}, {partition}, {today} / {today+N} / {today-N} (the UTC
// date, N days on or back, as YYYY-MM-DD).
using Expander = std::function<Result<std::string>(const std::string& name)>;
Result<std::string> ExpandText(const std::string& text, const Expander& expand);

// The URL `call` goes to: EndpointOf, with the call's host prefix (S3
// Control's "{account}.") expanded in front of the host, except on a custom
// endpoint. An expanded prefix that is not host name text is an error.
Result<std::string> CallBaseUrl(const Service& service, const Call& call, const Target& target,
                                const ApiOptions& options, const Expander& expand, std::string* signing_region);

// An answer AWS gave with an error status.
struct ApiError {
  int http_status = 0;
  std::string code, message, request_id;
};

// Calls `call` for `target` and hands each page, decoded, to on_page. When
// AWS answers with an error, *error (if given) holds it and the status says
// it (operation, service, region, code and message).
//
// A big answer (kBigAnswerBytes and more: a page of 1,000 EC2 instances is
// ~3 MB of XML) costs several times its size from decoding until on_page
// returns (the DOM, the decoded page, its rows; CallPageItems leaves the
// items out of the decoded page). Decoding is CPU
// work, so no more big answers than cores (at least 2) are decoded and handed
// on at once across the process; the others wait with just their bodies.
// Small answers never wait, and a thread already holding a big answer (a
// relation resolved inside on_page, or a per-item call on a thread started
// by it with BigAnswerInherit) does not wait for another, so it cannot wait
// for itself.
Status CallPages(const Service& service, const Call& call, const Target& target, const ApiOptions& options,
                 const Expander& expand, ApiCallFigures* figures,
                 const std::function<Status(const nlohmann::json& page)>& on_page, ApiError* error = nullptr);

inline constexpr size_t kBigAnswerBytes = 1 << 20;

// The items of one page, left undecoded (CallPageItems): each is decoded
// when asked for, so a page of 1,000 EC2 instances is never one JSON
// document of 24 MB, only the parsed answer and one item at a time. Lives
// as long as the answer it points into (the on_page call).
class PageItems {
 public:
  size_t size() const { return xml_.size() + json_.size(); }
  // The i-th item as DecodeAnswer would have given it (keys are member names).
  nlohmann::json Decode(size_t i) const;

 private:
  friend struct PageDecoder;
  struct XmlItem {
    pugi::xml_node_struct* node;
    const Shape* shape;
    int depth;
  };
  struct JsonItem {
    const nlohmann::json* value;
    const Shape* shape;
    int depth;
  };
  const Service* service_ = nullptr;
  std::vector<XmlItem> xml_;     // XML protocols: nodes of the parsed answer
  std::vector<JsonItem> json_;   // JSON protocols: values of the parsed answer
};

// Whether the items at `path` can be left undecoded by CallPageItems: a
// non-empty path of member names and "[]" (a map's "{}" is not: its items
// would come in the answer's order, not the decoded map's).
bool CanDecodeItemsLazily(const std::vector<std::string>& path);

// As CallPages, but the items at `items` (CanDecodeItemsLazily) are left out
// of each decoded page (their lists are empty there) and handed to on_page
// as PageItems, in the order ForEachItem would give them.
Status CallPageItems(const Service& service, const Call& call, const Target& target, const ApiOptions& options,
                     const Expander& expand, ApiCallFigures* figures, const std::vector<std::string>& items,
                     const std::function<Status(const nlohmann::json& page, const PageItems& items)>& on_page,
                     ApiError* error = nullptr);

// Whether this thread holds a big answer (CallPages, above).
bool HoldingBigAnswer();
// On a thread started while `held` was HoldingBigAnswer() of its starter:
// the new thread counts as holding it too, while this lives.
class BigAnswerInherit {
 public:
  explicit BigAnswerInherit(bool held);
  ~BigAnswerInherit();
  BigAnswerInherit(const BigAnswerInherit&) = delete;
  BigAnswerInherit& operator=(const BigAnswerInherit&) = delete;

 private:
  bool held_;
};
// The number of big answers being decoded or handed on right now (tests).
int BigAnswersInFlight();

// Decoding, exposed for tests: an answer body of `call` as JSON keyed by
// member names.
Result<nlohmann::json> DecodeAnswer(const Service& service, const Call& call, const http::Response& response);

// DecodeAnswer with the items at `items` left undecoded (CallPageItems):
// the page without them, and the items. Keeps what it points into.
struct DecodedPage {
  nlohmann::json page;
  PageItems items;
  std::shared_ptr<void> keep;   // the parsed answer the items point into
};
// The answer's body is taken (the page's items point into it).
Result<DecodedPage> DecodePage(const Service& service, const Call& call, http::Response&& response,
                               const std::vector<std::string>* items);

// The items of a decoded answer at `path` ("[]" iterates a list, "{}" a
// map's values); an empty path is the answer itself.
void ForEachItem(const nlohmann::json& doc, const std::vector<std::string>& path, size_t at,
                 const std::function<void(const nlohmann::json&)>& fn);

}  // namespace ferry::plugins::aws
