# Staging's values; the account's own subnets and names replace these examples.
region           = "eu-west-1"
eks_cluster_name = "seau-staging"
bucket_name      = "example-seau-staging-files"
console_origin   = "https://seau.staging.example.com"
db_subnet_ids    = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2", "subnet-0aaaaaaaaaaaaaaa3"]
