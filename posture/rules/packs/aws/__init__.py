"""AWS rules: CIS AWS Foundations v7.0.0, the EKS/ECR part of CIS Amazon EKS v1.8.0, and container-stack checks."""
