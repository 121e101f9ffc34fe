// The error answers of AWS APIs, in each of their protocols, as one value.
//
//   query (STS, IAM, SQS, RDS...): <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
//   ec2:                           <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
//   rest-xml (S3, Route 53...):    <Error><Code/><Message/><RequestId/>...</Error>
//                                  (Route 53 and CloudFront wrap it in <ErrorResponse>, as query does)
//                                  (moto's IAM denials: <ErrorResponse><Errors><Error>, also read)
//   json (DynamoDB, ECS...):       {"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
//                                   "message": "..."} ("Message" in some services)
//   rest-json (Lambda, EKS...):    the x-amzn-ErrorType header ("ValidationException:http://...")
//                                  or a "code"/"Code" in the body; "message"/"Message"
// A query-compatible JSON service (SQS) names its query-protocol code in
// x-amzn-query-error ("AWS.SimpleQueueService.NonExistentQueue;Sender"),
// which wins, as botocore lets it. The request id comes from the body, else
// x-amzn-RequestId, x-amz-request-id or x-amzn-request-id.
//
// An answer without a recognisable body (S3's HEAD, a proxy's HTML page)
// has an empty code; ToString() then names the HTTP status.
#pragma once

#include <string>

#include "ferry/http/client.h"

namespace ferry::http::aws {

struct AwsError {
  int http_status = 0;
  std::string code;        // "AccessDenied", "ResourceNotFoundException"; empty when unknown
  std::string message;
  std::string request_id;
  // "AccessDenied: User ... is not authorized (HTTP 403, request id 4a6e...)".
  std::string ToString() const;
};

AwsError ParseAwsError(const Response& response);

}  // namespace ferry::http::aws
