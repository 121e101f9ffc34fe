# The Storage Write API (gRPC): Ferry's own .proto of the calls it makes,
# compiled by protoc and grpc_cpp_plugin (plugins/CMakeLists.txt).
set(FERRY_PLUGIN_DEPS gRPC::grpc++ protobuf::libprotobuf)
set(FERRY_PLUGIN_PROTOS ${CMAKE_CURRENT_SOURCE_DIR}/destination/bigquery/proto/google/cloud/bigquery/storage/v1/storage.proto)
