"""The intake (convert, process, enqueue into the state) and the export workers."""
