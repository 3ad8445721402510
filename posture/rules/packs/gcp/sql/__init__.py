"""Cloud SQL rules (gcp.sql.*), one module per part: instances, database flags."""
