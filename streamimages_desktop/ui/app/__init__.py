"""Starting the application: the QApplication, one instance per library, first run, --screenshot."""
