# The role Seau's pods take (IRSA): only the ServiceAccount
# system:serviceaccount:NAMESPACE:seau of this cluster may assume it, and it
# may touch only this bucket, this queue and this key.

resource "aws_iam_role" "seau" {
  name                 = var.name
  description          = "Seau (${var.name}): assumed by the pods of ${var.kubernetes_namespace}/${var.kubernetes_service_account} through IRSA"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
  tags                 = local.tags
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = ["system:serviceaccount:${var.kubernetes_namespace}:${var.kubernetes_service_account}"]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "seau" {
  name   = "seau"
  role   = aws_iam_role.seau.id
  policy = data.aws_iam_policy_document.seau.json
}

data "aws_iam_policy_document" "seau" {
  # Listing, the readiness probe (HeadBucket is ListBucket), versions, uploads in progress.
  statement {
    sid = "Bucket"
    actions = [
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:ListBucketMultipartUploads",
      "s3:GetBucketLocation",
      "s3:GetBucketVersioning",
    ]
    resources = [aws_s3_bucket.files.arn]
  }
  # Objects: browse, download, upload (in parts), copy, move, delete, versions.
  statement {
    sid = "Objects"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
      # CopyObject carries the source's tags over.
      "s3:GetObjectTagging",
      "s3:PutObjectTagging",
    ]
    resources = ["${aws_s3_bucket.files.arn}/*"]
  }
  # The bucket's event notifications.
  statement {
    sid = "Events"
    actions = [
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:GetQueueAttributes",
    ]
    resources = [aws_sqs_queue.events.arn]
  }
  # SSE-KMS objects and the encrypted queue.
  statement {
    sid       = "Key"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.data.arn]
  }
}
