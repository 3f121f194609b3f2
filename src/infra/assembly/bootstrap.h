#pragma once
// The names the CDK's default synthesizer (DefaultStackSynthesizer) uses for the resources
// `cdk bootstrap` creates, with the default qualifier. Shared by the asset manifests, the stack
// artifacts and the image URIs so they never disagree.

namespace oh::infra::bootstrap {

inline constexpr const char* kQualifier = "hnb659fds";
inline constexpr int kRequiredBootstrapVersion = 6;
inline constexpr const char* kVersionSsmParameter = "/cdk-bootstrap/hnb659fds/version";
inline constexpr const char* kFileAssetsBucket = "cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kImageAssetsRepository = "cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kDeployRoleArn =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-deploy-role-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kCfnExecRoleArn =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kFilePublishingRoleArn =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-file-publishing-role-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kImagePublishingRoleArn =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-image-publishing-role-${AWS::AccountId}-${AWS::Region}";
inline constexpr const char* kLookupRoleArn =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-lookup-role-${AWS::AccountId}-${AWS::Region}";

}  // namespace oh::infra::bootstrap
