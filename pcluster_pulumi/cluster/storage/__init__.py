"""Shared storage components (EBS, RAID, EFS, FSx for Lustre/ONTAP/OpenZFS, File Cache)."""
