terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.40"
    }
  }
  # State in S3, configured at init time:
  #   terraform init -backend-config=bucket=... -backend-config=key=seau/production.tfstate \
  #     -backend-config=region=... -backend-config=use_lockfile=true
  backend "s3" {}
}
