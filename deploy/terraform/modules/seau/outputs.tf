output "role_arn" {
  description = "The IAM role of Seau's ServiceAccount (eks.amazonaws.com/role-arn)."
  value       = aws_iam_role.seau.arn
}

output "bucket_name" {
  description = "The bucket Seau serves (SEAU_BUCKETS)."
  value       = aws_s3_bucket.files.id
}

output "queue_url" {
  description = "The queue of the bucket's event notifications (SEAU_SQS_QUEUE_URL)."
  value       = aws_sqs_queue.events.url
}

output "dead_letter_queue_url" {
  description = "Where notifications Seau could not handle end up."
  value       = aws_sqs_queue.events_dead_letter.url
}

output "region" {
  description = "The region of the resources (AWS_REGION)."
  value       = data.aws_region.current.name
}

output "db_endpoint" {
  description = "host:port of PostgreSQL, for SEAU_DATABASE_URL."
  value       = aws_db_instance.db.endpoint
}

output "db_name" {
  description = "The database Seau uses."
  value       = aws_db_instance.db.db_name
}

output "db_master_secret_arn" {
  description = "Secrets Manager secret holding the master user's password (rotated by RDS)."
  value       = aws_db_instance.db.master_user_secret[0].secret_arn
}

output "kms_key_arn" {
  description = "The key of the bucket, the topic and the queues."
  value       = aws_kms_key.data.arn
}
