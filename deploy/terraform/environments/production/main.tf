# Seau's production environment: the module's resources for the EKS cluster
# var.eks_cluster_name. Its outputs feed deploy/kubernetes/overlays/production
# (deploy/README.md).

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      "seau/environment" = "production"
      "managed-by"       = "terraform"
    }
  }
}

data "aws_eks_cluster" "this" {
  name = var.eks_cluster_name
}

data "aws_iam_openid_connect_provider" "eks" {
  url = data.aws_eks_cluster.this.identity[0].oidc[0].issuer
}

data "aws_vpc" "cluster" {
  id = data.aws_eks_cluster.this.vpc_config[0].vpc_id
}

module "seau" {
  source = "../../modules/seau"

  name                               = "seau-production"
  bucket_name                        = var.bucket_name
  console_origin                     = var.console_origin
  noncurrent_version_expiration_days = 90

  oidc_provider_arn          = data.aws_iam_openid_connect_provider.eks.arn
  kubernetes_namespace       = "seau-production"
  kubernetes_service_account = "seau"

  vpc_id                       = data.aws_vpc.cluster.id
  db_subnet_ids                = var.db_subnet_ids
  db_client_security_group_ids = [data.aws_eks_cluster.this.vpc_config[0].cluster_security_group_id]
  db_instance_class            = "db.m7g.large"
  db_multi_az                  = true
  db_deletion_protection       = true
  db_backup_retention_days     = 30
}
