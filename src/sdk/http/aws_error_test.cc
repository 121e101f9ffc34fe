// ParseAwsError on the error answers of each AWS protocol. The bodies are
// the examples of AWS's documentation (STS and IAM "Common Errors", the EC2
// API Reference "Error codes" response structure, the S3 API Reference
// "Error responses", DynamoDB's and Lambda's error examples) and the shapes
// the Smithy protocol tests give (SQS's query-compatible header).
#include "ferry/http/aws_error.h"

#include <gtest/gtest.h>

namespace ferry::http::aws {
namespace {

Response Answer(int status, std::string body, Headers headers = {}) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(AwsError, QueryProtocolErrorResponse) {
  AwsError e = ParseAwsError(Answer(403, R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/audit</Message>
  </Error>
  <RequestId>c8a8ea5b-9d2d-4a0b-8b8c-2f9b3f0f3b1e</RequestId>
</ErrorResponse>
)"));
  EXPECT_EQ(e.http_status, 403);
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.message.substr(0, 45), "User: arn:aws:iam::123456789012:user/dev is n");
  EXPECT_EQ(e.request_id, "c8a8ea5b-9d2d-4a0b-8b8c-2f9b3f0f3b1e");
  EXPECT_EQ(e.ToString().substr(0, 14), "AccessDenied: ");
  EXPECT_NE(e.ToString().find("(HTTP 403, request id c8a8ea5b-9d2d-4a0b-8b8c-2f9b3f0f3b1e)"), std::string::npos);
}

// moto's answer when it enforces IAM, for every protocol (measured, in
// plugins/source/aws/EMULATORS.md): ErrorResponse with an Errors list.
TEST(AwsError, MotoDenialShape) {
  AwsError e = ParseAwsError(Answer(
      403, "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: "
           "arn:aws:iam::123456789012:user/limited is not authorized to perform: iam:ListUsers</Message>"
           "<Type>Sender</Type></Error></Errors></ErrorResponse>"));
  EXPECT_EQ(e.code, "AccessDenied");
  EXPECT_EQ(e.message.substr(0, 5), "User:");
}

TEST(AwsError, Ec2ResponseErrors) {
  AwsError e = ParseAwsError(Answer(400, R"(<?xml version="1.0" encoding="UTF-8"?>
<Response>
    <Errors>
         <Error>
           <Code>InvalidInstanceID.NotFound</Code>
           <Message>The instance ID 'i-1a2b3c4d' does not exist</Message>
         </Error>
    </Errors>
    <RequestID>ea966190-f9aa-478e-9ede-example</RequestID>
</Response>)"));
  EXPECT_EQ(e.code, "InvalidInstanceID.NotFound");
  EXPECT_EQ(e.message, "The instance ID 'i-1a2b3c4d' does not exist");
  EXPECT_EQ(e.request_id, "ea966190-f9aa-478e-9ede-example");
}

TEST(AwsError, RestXmlError) {
  AwsError e = ParseAwsError(Answer(404, R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/mybucket/myfoto.jpg</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)", {{"x-amz-request-id", "4442587FB7D0A2F9"}}));
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.message, "The resource you requested does not exist");
  EXPECT_EQ(e.request_id, "4442587FB7D0A2F9");
}

TEST(AwsError, JsonTypeWithNamespace) {
  AwsError e = ParseAwsError(Answer(
      400,
      R"({"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found: Table: Music not found"})",
      {{"x-amzn-RequestId", "NQ6OQ0F3T4RB7G9A3H0GQ0L1U7VV4KQNSO5AEMVJF66Q9ASUAAJG"}}));
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message, "Requested resource not found: Table: Music not found");
  EXPECT_EQ(e.request_id, "NQ6OQ0F3T4RB7G9A3H0GQ0L1U7VV4KQNSO5AEMVJF66Q9ASUAAJG");
  // Some services spell it "Message".
  e = ParseAwsError(Answer(400, R"({"__type":"ClusterNotFoundException","Message":"Cluster not found."})"));
  EXPECT_EQ(e.code, "ClusterNotFoundException");
  EXPECT_EQ(e.message, "Cluster not found.");
}

TEST(AwsError, RestJsonErrorTypeHeaderWins) {
  AwsError e = ParseAwsError(
      Answer(404, R"({"Type":"User","Message":"Function not found: arn:aws:lambda:us-west-2:123456789012:function:my-function"})",
             {{"x-amzn-ErrorType", "ResourceNotFoundException"}, {"x-amzn-RequestId", "b0e91dc8-3807-11e2-83c6-5912bf8ad066"}}));
  EXPECT_EQ(e.code, "ResourceNotFoundException");
  EXPECT_EQ(e.message.substr(0, 19), "Function not found:");
  EXPECT_EQ(e.request_id, "b0e91dc8-3807-11e2-83c6-5912bf8ad066");
  e = ParseAwsError(Answer(400, R"({"message":"1 validation error detected"})",
                           {{"X-Amzn-Errortype", "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"}}));
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "1 validation error detected");
  e = ParseAwsError(Answer(409, R"({"code":"ConflictException","message":"already exists"})"));
  EXPECT_EQ(e.code, "ConflictException");
}

TEST(AwsError, QueryCompatibleHeaderWins) {
  AwsError e = ParseAwsError(
      Answer(400, R"({"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."})",
             {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}));
  EXPECT_EQ(e.code, "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(e.message, "The specified queue does not exist.");
}

TEST(AwsError, NoBodyOrNotAnAwsBody) {
  AwsError e = ParseAwsError(Answer(404, "", {{"x-amz-request-id", "R1"}}));
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.request_id, "R1");
  EXPECT_EQ(e.ToString(), "HTTP 404 (request id R1)");
  e = ParseAwsError(Answer(502, "<html><body>Bad Gateway</body></html>"));
  EXPECT_EQ(e.code, "");
  EXPECT_EQ(e.ToString(), "HTTP 502");
  e = ParseAwsError(Answer(500, "{not json"));
  EXPECT_EQ(e.ToString(), "HTTP 500");
}

}  // namespace
}  // namespace ferry::http::aws
