variable "stack_name" {
  type        = string
  default     = "soc2-evidence"
  description = "CloudFormation stack name (also the ECS cluster and task family name)."
}

variable "image_uri" {
  type        = string
  description = "The soc2-evidence image, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/soc2-evidence:0.1.0."
}

variable "ecr_repository_arn" {
  type        = string
  default     = ""
  description = "ARN of the ECR repository the image comes from; empty for a public registry."
}

variable "bucket_name" {
  type        = string
  description = "Name of the evidence bucket to create (controls.yaml store.bucket)."
}

variable "prefix" {
  type        = string
  default     = "soc2"
  description = "Folder inside the bucket, without the trailing slash (controls.yaml store.prefix)."
}

variable "retention_days" {
  type        = number
  default     = 400
  description = "Object Lock default retention in days; keep it equal to controls.yaml store.retainDays."
}

variable "retention_mode" {
  type        = string
  default     = "GOVERNANCE"
  description = "GOVERNANCE or COMPLIANCE (irreversible for retention_days)."
}

variable "noncurrent_version_expiration_days" {
  type        = number
  default     = 430
  description = "Days a replaced version is kept once it stops being current; keep it above retention_days."
}

variable "create_signing_key" {
  type        = bool
  default     = true
  description = "Create the KMS key that signs every manifest."
}

variable "schedule_expression" {
  type        = string
  default     = "cron(0 6 * * ? *)"
  description = "EventBridge Scheduler expression, in UTC."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets for the task, with a route to the AWS APIs."
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups for the task: no inbound rule, outbound HTTPS only."
}

variable "assign_public_ip" {
  type        = bool
  default     = false
  description = "Give the task a public IP (public subnets without a NAT gateway)."
}

variable "auditor_principal_arn" {
  type        = string
  default     = ""
  description = "Principal allowed to assume the auditor role; empty for this account."
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags for the stack and the resources it creates."
}

variable "access_log_retention_days" {
  type        = number
  default     = 400
  description = "Days the evidence bucket's server access logs are kept."
}
