variable "name" {
  description = "Prefix of every resource's name, e.g. seau-staging."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,40}$", var.name))
    error_message = "name: 3 to 41 lowercase letters, digits and dashes, starting with a letter."
  }
}

variable "bucket_name" {
  description = "The S3 bucket Seau serves (globally unique)."
  type        = string
}

variable "console_origin" {
  description = "The origin users reach Seau at (SEAU_PUBLIC_URL), e.g. https://seau.example.com: the bucket's CORS lets browsers upload to S3 directly from it."
  type        = string
  validation {
    condition     = can(regex("^https://[^/]+$", var.console_origin))
    error_message = "console_origin: https://HOST, without a path or a trailing slash."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days a replaced or deleted object version is kept before S3 expires it."
  type        = number
  default     = 30
  validation {
    condition     = var.noncurrent_version_expiration_days >= 1
    error_message = "noncurrent_version_expiration_days: at least 1."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the EKS cluster's IAM OIDC provider (arn:aws:iam::ACCOUNT:oidc-provider/oidc.eks.REGION.amazonaws.com/id/ID)."
  type        = string
}

variable "kubernetes_namespace" {
  description = "Namespace of Seau's ServiceAccount: the kustomize overlay's namespace."
  type        = string
}

variable "kubernetes_service_account" {
  description = "Name of Seau's ServiceAccount (deploy/kubernetes/base/serviceaccount.yaml)."
  type        = string
  default     = "seau"
}

variable "vpc_id" {
  description = "The VPC of the EKS cluster, where the database lives."
  type        = string
}

variable "db_subnet_ids" {
  description = "Private subnets (two Availability Zones or more) for the database."
  type        = list(string)
  validation {
    condition     = length(var.db_subnet_ids) >= 2
    error_message = "db_subnet_ids: at least two subnets in different Availability Zones."
  }
}

variable "db_client_security_group_ids" {
  description = "Security groups allowed to reach PostgreSQL: the EKS nodes' (or the cluster security group)."
  type        = list(string)
}

variable "db_instance_class" {
  description = "RDS instance class."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_allocated_storage" {
  description = "Initial storage in GiB; it grows by itself up to db_max_allocated_storage."
  type        = number
  default     = 20
}

variable "db_max_allocated_storage" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 200
}

variable "db_multi_az" {
  description = "A standby in a second Availability Zone (production)."
  type        = bool
  default     = true
}

variable "db_deletion_protection" {
  description = "Refuse to delete the database (production)."
  type        = bool
  default     = true
}

variable "db_backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 14
  validation {
    condition     = var.db_backup_retention_days >= 7 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days: between 7 and 35."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
