"""The persistent queue and the export workers."""
