"""Storage, the lowest floor above errors: the safe npz container and atomic writes that every file format shares."""
