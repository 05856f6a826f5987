# Production's values; the account's own subnets and names replace these examples.
region           = "eu-west-1"
eks_cluster_name = "seau-production"
bucket_name      = "example-seau-production-files"
console_origin   = "https://seau.example.com"
db_subnet_ids    = ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2", "subnet-0bbbbbbbbbbbbbbb3"]
