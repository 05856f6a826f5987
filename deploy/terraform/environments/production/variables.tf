variable "region" {
  description = "AWS region of the cluster and of Seau's resources."
  type        = string
}

variable "eks_cluster_name" {
  description = "The EKS cluster Seau runs on (its OIDC provider must exist: eksctl utils associate-iam-oidc-provider)."
  type        = string
}

variable "bucket_name" {
  description = "The S3 bucket Seau serves (globally unique)."
  type        = string
}

variable "console_origin" {
  description = "https://HOST users reach Seau at: the overlay's SEAU_PUBLIC_URL."
  type        = string
}

variable "db_subnet_ids" {
  description = "Private subnets of the cluster's VPC, in two Availability Zones or more, for PostgreSQL."
  type        = list(string)
}
