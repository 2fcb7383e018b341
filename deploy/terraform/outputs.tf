output "bucket_name" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["BucketName"]
}

output "config_location" {
  description = "Upload controls.yaml here; every run reads it."
  value       = aws_cloudformation_stack.soc2_evidence.outputs["ConfigLocation"]
}

output "signing_key_alias" {
  description = "Set controls.yaml store.signingKey to this."
  value       = lookup(aws_cloudformation_stack.soc2_evidence.outputs, "SigningKeyAlias", null)
}

output "task_role_arn" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["TaskRoleArn"]
}

output "auditor_role_arn" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["AuditorRoleArn"]
}

output "cluster_arn" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["ClusterArn"]
}

output "task_definition_arn" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["TaskDefinitionArn"]
}

output "log_group_name" {
  value = aws_cloudformation_stack.soc2_evidence.outputs["LogGroupName"]
}

output "access_log_bucket_name" {
  description = "Server access logs of the evidence bucket."
  value       = aws_cloudformation_stack.soc2_evidence.outputs["AccessLogBucketName"]
}
