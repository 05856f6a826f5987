# Seau's AWS resources for one environment: the bucket it serves, the S3 →
# SNS → SQS path of the bucket's event notifications, the IAM role its pods
# take through IRSA, and its PostgreSQL database.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  # oidc.eks.REGION.amazonaws.com/id/ID: the issuer, as IAM condition keys name it.
  oidc_issuer = element(split("oidc-provider/", var.oidc_provider_arn), 1)
  tags        = merge({ "app.kubernetes.io/name" = "seau", "seau/environment" = var.name }, var.tags)
}

# One customer managed key for the data at rest: objects, notifications in
# flight on SNS and SQS. The database has its own (rds.tf).
resource "aws_kms_key" "data" {
  description             = "${var.name}: S3 objects and the S3 event notifications on SNS and SQS"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms_data.json
  tags                    = local.tags
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}-data"
  target_key_id = aws_kms_key.data.key_id
}

data "aws_iam_policy_document" "kms_data" {
  # The account administers the key through IAM, as AWS's default key policy does.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
  # S3 publishes to the encrypted topic; SNS delivers to the encrypted queue.
  statement {
    sid       = "S3AndSNSEncryptNotifications"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com", "sns.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}
