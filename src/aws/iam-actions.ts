// The IAM action that authorizes an API operation, where the two names differ (Service Authorization Reference).

const DIFFERENT: Record<string, string> = {
  // ListFindingsV2 and GetFindingV2 are authorized by the V1 actions (IAM Access Analyzer API reference).
  "access-analyzer:ListFindingsV2": "access-analyzer:ListFindings",
  "access-analyzer:GetFindingV2": "access-analyzer:GetFinding",
  "s3:ListBuckets": "s3:ListAllMyBuckets",
  "s3:ListObjectsV2": "s3:ListBucket",
  "s3:ListObjects": "s3:ListBucket",
  "s3:HeadObject": "s3:GetObject",
  "s3:HeadBucket": "s3:ListBucket",
  "s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
  "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
  "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
  "s3:CreateMultipartUpload": "s3:PutObject",
  "s3:UploadPart": "s3:PutObject",
  "s3:CompleteMultipartUpload": "s3:PutObject",
  "s3:AbortMultipartUpload": "s3:AbortMultipartUpload",
  "s3:ListObjectVersions": "s3:ListBucketVersions",
};

/** `service` is the IAM prefix (kms, secretsmanager, cloudtrail, access-analyzer, s3, sts, organizations). */
export function iamActionFor(service: string, operation: string): string {
  const action = `${service}:${operation}`;
  return DIFFERENT[action] ?? action;
}
