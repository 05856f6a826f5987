output "role_arn" {
  description = "IAM role of Seau's ServiceAccount."
  value       = module.seau.role_arn
}

output "bucket_name" {
  description = "SEAU_BUCKETS."
  value       = module.seau.bucket_name
}

output "queue_url" {
  description = "SEAU_SQS_QUEUE_URL."
  value       = module.seau.queue_url
}

output "db_endpoint" {
  description = "host:port of PostgreSQL, for SEAU_DATABASE_URL in the Secret seau-secrets."
  value       = module.seau.db_endpoint
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret with the master password (to create Seau's own database role)."
  value       = module.seau.db_master_secret_arn
}

# The overlay's terraform.env, in one go:
#   terraform output -raw kustomize_env > ../../../kubernetes/overlays/staging/terraform.env
output "kustomize_env" {
  description = "deploy/kubernetes/overlays/staging/terraform.env"
  value       = <<-EOT
    AWS_REGION=${module.seau.region}
    SEAU_BUCKETS=${module.seau.bucket_name}
    SEAU_SQS_QUEUE_URL=${module.seau.queue_url}
    SERVICE_ACCOUNT_ROLE_ARN=${module.seau.role_arn}
    VPC_CIDR=${data.aws_vpc.cluster.cidr_block}
  EOT
}
