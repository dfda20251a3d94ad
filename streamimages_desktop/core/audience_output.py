"""What leaves the library for an audience: clean derivatives, exports, and the OBS hand-off
through a folder or obs-websocket v5.

Only what the viewer's role may see leaves, each image checked again as it goes; Pillow, the
export code and the OBS client load on first use (issue 14)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from streamimages_desktop.core.errors import NotFound, UserError
from streamimages_desktop.core.labels import visible_to
from streamimages_desktop.core.manager_state import OnFirstUse
from streamimages_desktop.core.models import OWNER, Role, StreamImage, Viewer
from streamimages_desktop.core.viewer_reads import ViewerReads

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (issue 14)
if TYPE_CHECKING:
    from streamimages_desktop.core import derivatives, obs_folder, obs_websocket
    from streamimages_desktop.core import export as exporting
    from streamimages_desktop.core.derivatives import Derivative
    from streamimages_desktop.core.export import ExportProgress, ExportResult

if not TYPE_CHECKING:
    derivatives = OnFirstUse("derivatives")
    exporting = OnFirstUse("export")
    obs_folder = OnFirstUse("obs_folder")
    obs_websocket = OnFirstUse("obs_websocket")


class AudienceOutput(ViewerReads):
    """Derivatives and exports of what the viewer's role may see; slideshows for an audience."""

    def derivative(self, viewer: Viewer, image_id: str) -> Derivative:
        """A clean derivative (re-encoded, upright, sRGB, no metadata) of an image `viewer` may
        see; a hidden image is the same NotFound as a missing one."""
        return self._derivative_of(self.image(viewer, image_id))

    def _derivative_of(self, found: StreamImage) -> Derivative:
        return derivatives.make(self._original_of(found), self._settings.export_jpeg_quality)

    def _require_stream(self, stream_id: str) -> None:
        """Stream names are not secret (images are): an unknown one is named."""
        if all(s.stream.id != stream_id for s in self._store.list_streams(OWNER)):
            raise NotFound(f"no stream {stream_id}")

    def export_selection(
        self,
        viewer: Viewer,
        *,
        image_ids: Sequence[str] | None = None,
        stream_id: str | None = None,
    ) -> list[StreamImage]:
        """The images an export takes: the ids `viewer` may see (others left out without a
        word), a stream's visible images in grid order, or with neither everything it sees."""
        if image_ids is not None:
            found = [self._store.get_image(viewer, image_id) for image_id in image_ids]
            unique = {image.id: image for image in found if image is not None}
            return list(unique.values())
        if stream_id is not None:
            self._require_stream(stream_id)
        return self.images(viewer, stream_id)

    def export(
        self,
        viewer: Viewer,
        target: Path,
        images: Sequence[StreamImage],
        *,
        as_zip: bool = False,
        manifest: bool = False,
        progress: ExportProgress | None = None,
        cancel: threading.Event | None = None,
    ) -> ExportResult:
        """Clean derivatives of `images` (each checked again against `viewer`) to a folder or
        a zip, with an optional manifest of what `viewer` may see; all or nothing."""
        rows = (self._store.get_image(viewer, image.id) for image in images)
        visible = [row for row in rows if row is not None]  # as they are now, for this role
        if not visible:  # an empty zip or folder is never what was asked for; nothing is written
            raise UserError(f"nothing to export: no image chosen is {visible_to(viewer.role)}")
        return exporting.export_images(
            visible,
            self._derivative_of,
            target,
            as_zip=as_zip,
            manifest=manifest,
            progress=progress,
            cancel=cancel,
        )

    @staticmethod
    def _require_audience(viewer: Viewer) -> None:
        if viewer.role is Role.OWNER:
            raise UserError("only an audience's images go on stream: use viewer or subscriber")

    def slideshow_images(self, viewer: Viewer, stream_id: str) -> list[StreamImage]:
        """A stream's images the audience `viewer` may see, in grid order."""
        self._require_audience(viewer)
        self._require_stream(stream_id)
        return self.images(viewer, stream_id)

    def show_in_folder(self, viewer: Viewer, image_id: str, folder: Path) -> Path:
        """Show on stream through a folder: `current.<ext>` is replaced atomically."""
        self._require_audience(viewer)
        return obs_folder.show(folder, image_id, self.derivative(viewer, image_id))

    def slideshow_to_folder(self, viewer: Viewer, stream_id: str, folder: Path) -> list[Path]:
        """Rewrite a slideshow folder with the stream's images the audience may see."""
        slides = [(i.id, self._derivative_of(i)) for i in self.slideshow_images(viewer, stream_id)]
        return obs_folder.slideshow(folder, slides)

    @property
    def obs_files_dir(self) -> Path:
        """Where files handed to OBS over its WebSocket are written (versioned, complete)."""
        return self._root / "obs"

    def show_on_obs(self, viewer: Viewer, image_id: str, input_name: str) -> Path:
        """Write a new versioned file, then point the OBS input at it (obs-websocket v5)."""
        self._require_audience(viewer)
        derivative = self.derivative(viewer, image_id)
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.input_settings(input_name)  # an unknown input is named before a file is made
            path = obs_folder.write_versioned(self.obs_files_dir, image_id, derivative)
            obs.show(input_name, path)
        return path

    def slideshow_on_obs(self, viewer: Viewer, stream_id: str, input_name: str) -> list[Path]:
        """Rewrite the slideshow files, then re-apply the input's `files` (obs-websocket v5)."""
        images = self.slideshow_images(viewer, stream_id)
        folder = self.obs_files_dir / f"slideshow-{stream_id}"
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.input_settings(input_name)
            paths = obs_folder.slideshow(folder, [(i.id, self._derivative_of(i)) for i in images])
            obs.slideshow(input_name, paths)
        return paths

    def step_obs_slideshow(self, input_name: str, forward: bool = True) -> None:
        """Next or Previous on an OBS slideshow input."""
        with obs_websocket.ObsConnection(
            self._settings.obs_websocket_url, self._obs_password
        ) as obs:
            obs.step(input_name, forward)

    @property
    def _obs_password(self) -> str:
        return self._settings.obs_websocket_password
