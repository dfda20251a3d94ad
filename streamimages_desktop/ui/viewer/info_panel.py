"""InfoPanel: the facts about the image shown in the viewer, and the owner's edit controls."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streamimages_desktop.core.labels import visibility_choice, visibility_name
from streamimages_desktop.core.models import StreamImage, Visibility
from streamimages_desktop.core.units import count_of, format_bytes

FIELDS = (
    "Visibility",
    "Format",
    "Dimensions",
    "File size",
    "Created",
    "Views",
    "Original name",
)
OWNER_FIELDS = frozenset({"Original name"})  # a file name from the owner's disk
WIDTH = 280


def facts(image: StreamImage) -> dict[str, str]:
    """The panel's rows for `image`, in FIELDS order."""
    return {
        "Visibility": visibility_name(image.visibility),
        "Format": image.format,
        "Dimensions": f"{image.width} x {image.height} px",
        "File size": format_bytes(image.bytes),
        "Created": image.created.astimezone().strftime("%Y-%m-%d %H:%M"),
        "Views": count_of(image.views, "view"),
        "Original name": image.original_name,
    }


def _value_label(parent: QWidget, name: str) -> QLabel:
    label = QLabel(parent)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class InfoPanel(QFrame):
    """Title, description and facts; a camera summary and edit controls for the owner only.

    Signals:
        edit_requested(): the owner asked to edit the title and description.
        visibility_requested(object): the owner picked another Visibility.

    Attributes:
        title_label, description_label: the image's text.
        values: one label per entry of FIELDS.
        exif_form: the camera summary rows (owner only; hidden when there is none).
        edit_button, visibility_box: the owner's controls.
        position_label: where the image is in the grid's order, and the zoom.
    """

    edit_requested = Signal()
    visibility_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("viewer_info")
        self.setAccessibleName("Image information")
        self.setFixedWidth(WIDTH)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._image: StreamImage | None = None
        self._exif: list[tuple[str, str]] = []
        self._owner = False
        self.title_label = _value_label(self, "Image title")
        self.title_label.setStyleSheet("font-size: 14pt; font-weight: 600;")
        self.description_label = _value_label(self, "Image description")
        form = self._form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.values: dict[str, QLabel] = {}
        for name in FIELDS:
            self.values[name] = _value_label(self, name)
            form.addRow(f"{name}:", self.values[name])
        self.exif_title = QLabel("Camera (owner only)", self)
        self.exif_title.setStyleSheet("font-weight: 600;")
        self.exif_form = QFormLayout()
        self.edit_button = QPushButton("Edit title and description…", self)
        self.edit_button.setAccessibleName("Edit title and description")
        self.edit_button.clicked.connect(self.edit_requested)
        self.visibility_box = QComboBox(self)
        self.visibility_box.setAccessibleName("Visibility of this image")
        self.visibility_box.view().setAccessibleName("Visibility choices")
        for vis in Visibility:
            self.visibility_box.addItem(visibility_choice(vis), vis)
        self.visibility_box.activated.connect(self._on_visibility_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 14, 14, 14)
        layout.addWidget(self.title_label)
        layout.addWidget(self.description_label)
        layout.addSpacing(8)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addWidget(self.exif_title)
        layout.addLayout(self.exif_form)
        layout.addSpacing(12)
        self.visibility_caption = QLabel("Who may see it:", self)
        self.visibility_caption.setBuddy(self.visibility_box)
        layout.addWidget(self.visibility_caption)
        layout.addWidget(self.visibility_box)
        layout.addWidget(self.edit_button)
        layout.addStretch(1)
        self.position_label = _value_label(self, "Position and zoom")
        self.position_label.setStyleSheet("color: palette(mid);")
        layout.addWidget(self.position_label)
        self.show_image(None)

    def value(self, name: str) -> str:
        return self.values[name].text()

    def exif_rows(self) -> list[tuple[str, str]]:
        """The camera summary shown now ([] for everyone but the owner)."""
        return list(self._exif) if self._owner else []

    def set_owner(self, owner: bool) -> None:
        """Edit controls, the camera summary and the original file name are the owner's only."""
        self._owner = owner
        for name in OWNER_FIELDS:
            self._form.setRowVisible(self.values[name], owner)
            shown = facts(self._image)[name] if owner and self._image else ""
            self.values[name].setText(shown)
        for widget in (self.edit_button, self.visibility_box, self.visibility_caption):
            widget.setVisible(owner)
        self._fill_exif()

    def show_image(self, image: StreamImage | None) -> None:
        self._image = image
        self.title_label.setText(image.title if image else "")
        self.description_label.setText(image.description if image else "")
        self.description_label.setVisible(bool(image and image.description))
        rows = facts(image) if image else dict.fromkeys(FIELDS, "")
        for name, text in rows.items():
            self.values[name].setText(text if self._owner or name not in OWNER_FIELDS else "")
        if image is not None:
            self.visibility_box.setCurrentIndex(self.visibility_box.findData(image.visibility))
        self.edit_button.setEnabled(image is not None)
        self.visibility_box.setEnabled(image is not None)

    def set_position(self, index: int | None, count: int, zoom: float, fit: bool) -> None:
        """ "3 of 12 · Fit (48%)": where the image is in the grid's order, and the zoom."""
        where = f"{index + 1} of {count}" if index is not None else "Not in the grid"
        scale = f"Fit ({round(zoom * 100)}%)" if fit else f"{round(zoom * 100)}%"
        self.position_label.setText(f"{where}  ·  {scale}")

    def set_exif(self, rows: list[tuple[str, str]]) -> None:
        self._exif = list(rows)
        self._fill_exif()

    def _fill_exif(self) -> None:
        while self.exif_form.rowCount():
            self.exif_form.removeRow(0)
        shown = self.exif_rows()
        for label, text in shown:
            value = _value_label(self, label)
            value.setText(text)
            self.exif_form.addRow(f"{label}:", value)
        self.exif_title.setVisible(bool(shown))

    def _on_visibility_activated(self, index: int) -> None:
        chosen = self.visibility_box.itemData(index)
        if self._image is not None and chosen != self._image.visibility:
            self.visibility_requested.emit(Visibility(chosen))
