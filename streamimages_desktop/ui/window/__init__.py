"""The main window: its toolbar, menus, status line, role switcher, dialogs and remembered state."""
