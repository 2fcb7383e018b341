# soc2-evidence on ECS: a thin wrapper that deploys deploy/cloudformation.yaml as one CloudFormation stack,
# so the template stays the single definition (and the one the tests check).

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

resource "aws_cloudformation_stack" "soc2_evidence" {
  name          = var.stack_name
  template_body = file("${path.module}/../cloudformation.yaml")
  # The template creates IAM roles with generated names.
  capabilities = ["CAPABILITY_IAM"]

  parameters = {
    ImageUri                        = var.image_uri
    EcrRepositoryArn                = var.ecr_repository_arn
    BucketName                      = var.bucket_name
    Prefix                          = var.prefix
    RetentionDays                   = var.retention_days
    RetentionMode                   = var.retention_mode
    NoncurrentVersionExpirationDays = var.noncurrent_version_expiration_days
    CreateSigningKey                = var.create_signing_key ? "true" : "false"
    ScheduleExpression              = var.schedule_expression
    Subnets                         = join(",", var.subnet_ids)
    SecurityGroups                  = join(",", var.security_group_ids)
    AssignPublicIp                  = var.assign_public_ip ? "ENABLED" : "DISABLED"
    AuditorPrincipalArn             = var.auditor_principal_arn
    AccessLogRetentionDays          = var.access_log_retention_days
  }

  tags = var.tags
}
