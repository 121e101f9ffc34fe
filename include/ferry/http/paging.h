// Pagination for API integrations: one loop, whatever the API's style.
//
//   ForEachPage(client, first_request, NextByBodyToken("NextToken", "NextToken"),
//               [&](const Response& page) -> Status { ...rows... });
//
// A Next function looks at a page and its request and returns the request of
// the next page, or nullopt after the last one. Provided styles:
//   - NextByBodyToken: a token in a JSON body field ("NextToken",
//     "nextPageToken") sent back as a query parameter;
//   - NextByLinkHeader: RFC 8288 `Link: <url>; rel="next"` (GitHub, many REST
//     APIs).
// XML APIs (AWS query protocol: <NextToken> / <Marker>) pass their own Next.
// A token that repeats would loop forever: it is an error naming the URL.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "ferry/http/client.h"
#include "ferry/status.h"

namespace ferry::http {

using NextPage = std::function<Result<std::optional<Request>>(const Request& request, const Response& page)>;

// Calls `on_page` for every page, fetching each with `client` (its retries and
// rate limit apply). Fails on a transport error, on an answer that is not 2xx
// (the error names the URL and quotes up to 300 bytes of the body), on a
// repeated next-page request, or with on_page's error. `cancel` stops between
// pages.
Status ForEachPage(HttpClient& client, Request first, const NextPage& next,
                   const std::function<Status(const Response& page)>& on_page,
                   const std::atomic<bool>* cancel = nullptr);

// The next page's token in JSON body field `field` (top level), sent as query
// parameter `param` (replacing an earlier value). An empty or absent token
// ends the listing.
NextPage NextByBodyToken(std::string field, std::string param);

// The URL of the `rel="next"` entry of the Link header; none ends the listing.
NextPage NextByLinkHeader();

// `url` with query parameter `name` set to `value` (percent-encoded), replacing
// any earlier value.
std::string WithQueryParam(const std::string& url, const std::string& name, const std::string& value);

}  // namespace ferry::http
