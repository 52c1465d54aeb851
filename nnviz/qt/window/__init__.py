"""The main window and the small controllers it wires: frames, examples, files, exports, actions."""
