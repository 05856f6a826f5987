# The bucket's changes reach Seau as S3 event notifications: S3 → SNS topic
# → SQS queue, which every replica long-polls (SEAU_SQS_QUEUE_URL). A topic in
# between lets other consumers subscribe too. A message Seau fails to handle
# five times moves to the dead-letter queue.

resource "aws_sns_topic" "events" {
  name              = "${var.name}-events"
  kms_master_key_id = aws_kms_key.data.arn
  tags              = local.tags
}

resource "aws_sns_topic_policy" "events" {
  arn    = aws_sns_topic.events.arn
  policy = data.aws_iam_policy_document.topic.json
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "BucketPublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.events.arn]
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.files.arn]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue" "events_dead_letter" {
  name                              = "${var.name}-events-dead-letter"
  message_retention_seconds         = 1209600 # 14 days, the most SQS keeps
  kms_master_key_id                 = aws_kms_key.data.arn
  kms_data_key_reuse_period_seconds = 3600
  tags                              = local.tags
}

resource "aws_sqs_queue" "events" {
  name                              = "${var.name}-events"
  message_retention_seconds         = 345600 # 4 days
  receive_wait_time_seconds         = 20     # long polling
  visibility_timeout_seconds        = 60
  kms_master_key_id                 = aws_kms_key.data.arn
  kms_data_key_reuse_period_seconds = 3600
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events_dead_letter.arn
    maxReceiveCount     = 5
  })
  tags = local.tags
}

resource "aws_sqs_queue_redrive_allow_policy" "events_dead_letter" {
  queue_url = aws_sqs_queue.events_dead_letter.id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.events.arn]
  })
}

resource "aws_sqs_queue_policy" "events" {
  queue_url = aws_sqs_queue.events.id
  policy    = data.aws_iam_policy_document.queue.json
}

data "aws_iam_policy_document" "queue" {
  statement {
    sid       = "TopicDelivers"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.events.arn]
    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_sns_topic.events.arn]
    }
  }
}

resource "aws_sns_topic_subscription" "events" {
  topic_arn = aws_sns_topic.events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.events.arn
  # Seau reads SNS envelopes as well as raw S3 events; the envelope keeps the topic's metadata.
  raw_message_delivery = false

  depends_on = [aws_sqs_queue_policy.events]
}

resource "aws_s3_bucket_notification" "files" {
  bucket = aws_s3_bucket.files.id
  topic {
    topic_arn = aws_sns_topic.events.arn
    events    = ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectRestore:Completed"]
  }

  # S3 checks that it may publish when the notification is created.
  depends_on = [aws_sns_topic_policy.events, aws_kms_key.data]
}
