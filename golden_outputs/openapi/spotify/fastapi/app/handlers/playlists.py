# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Playlists operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any

from app import components
from app.runtime import NotImplementedOperation


def get_playlist(
    *,
    playlist_id: str,
    market: str | None = None,
    fields: str | None = None,
    additional_types: str | None = None,
) -> Any:
    """GET /playlists/{playlist_id}: Get Playlist."""
    raise NotImplementedOperation("get-playlist")


def change_playlist_details(
    *,
    body: components.ChangePlaylistDetailsBody | None = None,
    playlist_id: str,
) -> Any:
    """PUT /playlists/{playlist_id}: Change Playlist Details."""
    raise NotImplementedOperation("change-playlist-details")


def get_playlists_tracks(
    *,
    playlist_id: str,
    market: str | None = None,
    fields: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    additional_types: str | None = None,
) -> Any:
    """GET /playlists/{playlist_id}/tracks: Get Playlist Items [DEPRECATED]."""
    raise NotImplementedOperation("get-playlists-tracks")


def add_tracks_to_playlist(
    *,
    body: components.AddTracksToPlaylistBody | None = None,
    playlist_id: str,
    position: int | None = None,
    uris: str | None = None,
) -> Any:
    """POST /playlists/{playlist_id}/tracks: Add Items to Playlist [DEPRECATED]."""
    raise NotImplementedOperation("add-tracks-to-playlist")


def reorder_or_replace_playlists_tracks(
    *,
    body: components.ReorderOrReplacePlaylistsTracksBody | None = None,
    playlist_id: str,
    uris: str | None = None,
) -> Any:
    """PUT /playlists/{playlist_id}/tracks: Update Playlist Items [DEPRECATED]."""
    raise NotImplementedOperation("reorder-or-replace-playlists-tracks")


def remove_tracks_playlist(
    *,
    body: components.RemoveTracksPlaylistBody | None = None,
    playlist_id: str,
) -> Any:
    """DELETE /playlists/{playlist_id}/tracks: Remove Playlist Items [DEPRECATED]."""
    raise NotImplementedOperation("remove-tracks-playlist")


def get_playlists_items(
    *,
    playlist_id: str,
    market: str | None = None,
    fields: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
    additional_types: str | None = None,
) -> Any:
    """GET /playlists/{playlist_id}/items: Get Playlist Items."""
    raise NotImplementedOperation("get-playlists-items")


def add_items_to_playlist(
    *,
    body: components.AddItemsToPlaylistBody | None = None,
    playlist_id: str,
    position: int | None = None,
    uris: str | None = None,
) -> Any:
    """POST /playlists/{playlist_id}/items: Add Items to Playlist."""
    raise NotImplementedOperation("add-items-to-playlist")


def reorder_or_replace_playlists_items(
    *,
    body: components.ReorderOrReplacePlaylistsItemsBody | None = None,
    playlist_id: str,
    uris: str | None = None,
) -> Any:
    """PUT /playlists/{playlist_id}/items: Update Playlist Items."""
    raise NotImplementedOperation("reorder-or-replace-playlists-items")


def remove_items_playlist(
    *,
    body: components.RemoveItemsPlaylistBody | None = None,
    playlist_id: str,
) -> Any:
    """DELETE /playlists/{playlist_id}/items: Remove Playlist Items."""
    raise NotImplementedOperation("remove-items-playlist")


def get_a_list_of_current_users_playlists(
    *,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/playlists: Get Current User's Playlists."""
    raise NotImplementedOperation("get-a-list-of-current-users-playlists")


def create_playlist(*, body: components.CreatePlaylistBody | None = None) -> Any:
    """POST /me/playlists: Create Playlist."""
    raise NotImplementedOperation("create-playlist")


def get_list_users_playlists(
    *,
    user_id: str,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /users/{user_id}/playlists: Get User's Playlists."""
    raise NotImplementedOperation("get-list-users-playlists")


def create_playlist_for_user(
    *,
    body: components.CreatePlaylistForUserBody | None = None,
    user_id: str,
) -> Any:
    """POST /users/{user_id}/playlists: Create Playlist for user."""
    raise NotImplementedOperation("create-playlist-for-user")


def get_featured_playlists(
    *,
    locale: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /browse/featured-playlists: Get Featured Playlists."""
    raise NotImplementedOperation("get-featured-playlists")


def get_a_categories_playlists(
    *,
    category_id: str,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /browse/categories/{category_id}/playlists: Get Category's Playlists."""
    raise NotImplementedOperation("get-a-categories-playlists")


def get_playlist_cover(*, playlist_id: str) -> Any:
    """GET /playlists/{playlist_id}/images: Get Playlist Cover Image."""
    raise NotImplementedOperation("get-playlist-cover")


def upload_custom_playlist_cover(*, body: bytes, playlist_id: str) -> Any:
    """PUT /playlists/{playlist_id}/images: Add Custom Playlist Cover Image."""
    raise NotImplementedOperation("upload-custom-playlist-cover")
