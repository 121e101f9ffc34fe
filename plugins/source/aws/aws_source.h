// `aws` source: CloudQuery's aws tables, read from AWS's APIs.
//
// Every table is an entry of the built-in catalog (catalog.h), generated
// from AWS's own service models, run by one generic resolver
// (table_resolver.h) for each (account, region) the sync covers. Accounts
// come from `accounts`, from an AWS Organization (`org`), or are the
// default credential chain's one account; each account's identity comes
// from sts:GetCallerIdentity and its regions from ec2:DescribeRegions
// (regions not enabled for it are dropped). Requests go through the shared
// HTTP client (retries, adaptive throttling per host), signed with SigV4
// (ferry/http/aws_sigv4.h) and credentials resolved as AWS's SDKs do
// (ferry/http/aws_credentials.h).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ferry/http/aws_credentials.h"
#include "ferry/http/client.h"
#include "ferry/registry.h"
#include "ferry/sdk/table_source.h"
#include "plugins/source/aws/aws_call.h"
#include "plugins/source/aws/aws_spec.h"
#include "plugins/source/aws/catalog.h"
#include "plugins/source/aws/table_resolver.h"

namespace ferry::plugins::aws {

// One account the sync covers, ready to call.
struct SetUpAccount {
  std::string name;                   // the spec's id (or the org account's id)
  Target home;                        // region: where account-level tables are called
  std::vector<std::string> regions;   // enabled regions to sync
};

class AwsSource final : public sdk::TableSource {
 public:
  AwsSource();   // declares the catalog's tables, so Tables() works before Init
  Status Init(const Options& options, const SourceInit& init) override;

 private:
  sdk::TableDef Define(const std::shared_ptr<CatalogTable>& table, bool top_level);
  std::vector<sdk::Client> ClientsFor(const CatalogTable& table) const;
  void FlushSetupWarnings(const sdk::ResolveContext& ctx, const std::string& table);

  Status SetUpAccounts();
  Result<SetUpAccount> SetUp(const Account& account, std::shared_ptr<http::aws::AwsCredentialProvider> creds,
                             const std::vector<std::string>& wanted_regions);
  Result<std::vector<Account>> OrgAccounts(std::shared_ptr<http::aws::AwsCredentialProvider>* member_base);
  Result<std::shared_ptr<http::aws::AwsCredentialProvider>> CredentialsFor(
      const Account& account, std::shared_ptr<http::aws::AwsCredentialProvider> base);

  Spec spec_;
  std::shared_ptr<http::HttpClient> http_;
  ApiOptions api_;
  std::vector<SetUpAccount> accounts_;
  std::vector<std::string> setup_warnings_;
  std::once_flag warnings_once_;
};

SourcePlugin AwsSourcePlugin();
Status Register(Registry& registry);

}  // namespace ferry::plugins::aws
