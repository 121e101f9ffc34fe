// AWS error answers (contract in ferry/http/aws_error.h). Facts relied on:
// the Smithy protocol specifications (awsQuery, ec2Query, restXml,
// awsJson1_0/1_1, restJson1: "Operation error serialization") and botocore's
// parsers.py (the x-amzn-ErrorType header wins over a rest-json body's code and
// is cut at ':'; a json "__type" is cut after its last '#'; x-amzn-query-error's
// code is what precedes ';').
#include "ferry/http/aws_error.h"

#include <pugixml.hpp>

#include <nlohmann/json.hpp>

namespace ferry::http::aws {
namespace {

std::string Text(const pugi::xml_node& node, const char* child) { return node.child(child).text().as_string(); }

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "prefix#Code" -> "Code"; "Code:http://..." -> "Code".
std::string CleanCode(std::string code) {
  if (size_t hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string::npos) code.resize(colon);
  return Trim(code);
}

void FromXml(const std::string& body, AwsError* e) {
  pugi::xml_document doc;
  if (!doc.load_buffer(body.data(), body.size())) return;
  pugi::xml_node root = doc.document_element();
  std::string name = root.name();
  pugi::xml_node error;
  if (name == "ErrorResponse") {
    error = root.child("Error");
    // moto's IAM denials nest it in <Errors> (plugins/source/aws/EMULATORS.md).
    if (!error) error = root.child("Errors").child("Error");
    e->request_id = Text(root, "RequestId");
  } else if (name == "Response") {
    error = root.child("Errors").child("Error");
    e->request_id = Text(root, "RequestID");
    if (e->request_id.empty()) e->request_id = Text(root, "RequestId");
  } else if (name == "Error") {
    error = root;
  }
  if (!error) return;
  e->code = Trim(Text(error, "Code"));
  e->message = Trim(Text(error, "Message"));
  if (e->request_id.empty()) e->request_id = Text(error, "RequestId");
}

void FromJson(const std::string& body, AwsError* e) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return;
  auto str = [&](const char* key) -> std::string {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : "";
  };
  for (const char* key : {"__type", "code", "Code"})
    if (e->code = CleanCode(str(key)); !e->code.empty()) break;
  for (const char* key : {"message", "Message", "errorMessage"})
    if (e->message = str(key); !e->message.empty()) break;
  if (e->request_id.empty()) e->request_id = str("RequestId");
}

}  // namespace

AwsError ParseAwsError(const Response& response) {
  AwsError e;
  e.http_status = response.status;
  size_t first = response.body.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && response.body[first] == '<') FromXml(response.body, &e);
  else if (first != std::string::npos && response.body[first] == '{') FromJson(response.body, &e);
  if (std::string t = response.Header("x-amzn-ErrorType"); !t.empty()) e.code = CleanCode(t);
  if (std::string q = response.Header("x-amzn-query-error"); !q.empty()) e.code = Trim(q.substr(0, q.find(';')));
  for (const char* h : {"x-amzn-RequestId", "x-amz-request-id", "x-amzn-request-id"})
    if (e.request_id.empty()) e.request_id = response.Header(h);
  return e;
}

std::string AwsError::ToString() const {
  std::string out = code.empty() ? "HTTP " + std::to_string(http_status) : code;
  if (!message.empty()) out += ": " + message;
  out += " (";
  if (!code.empty()) out += "HTTP " + std::to_string(http_status) + (request_id.empty() ? "" : ", ");
  if (!request_id.empty()) out += "request id " + request_id;
  out += ")";
  if (out.size() >= 3 && out.compare(out.size() - 3, 3, " ()") == 0) out.resize(out.size() - 3);
  return out;
}

}  // namespace ferry::http::aws
