# Created by codegen; yours to edit: `codegen regenerate .` never overwrites it.
"""Handlers of the Users operations: yours; `codegen regenerate` never overwrites them.

Each function receives the validated parameters (and `body`) and returns a value, sent as
JSON with the operation's success status, or a Response. Until it does, the operation
answers 501 (problem+json).
"""

from __future__ import annotations

from typing import Any, Literal

from app import components
from app.runtime import NotImplementedOperation


def get_current_users_profile() -> Any:
    """GET /me: Get Current User's Profile."""
    raise NotImplementedOperation("get-current-users-profile")


def get_users_profile(*, user_id: str) -> Any:
    """GET /users/{user_id}: Get User's Profile."""
    raise NotImplementedOperation("get-users-profile")


def follow_playlist(
    *,
    body: components.FollowPlaylistBody | None = None,
    playlist_id: str,
) -> Any:
    """PUT /playlists/{playlist_id}/followers: Follow Playlist."""
    raise NotImplementedOperation("follow-playlist")


def unfollow_playlist(*, playlist_id: str) -> Any:
    """DELETE /playlists/{playlist_id}/followers: Unfollow Playlist."""
    raise NotImplementedOperation("unfollow-playlist")


def get_followed(
    *,
    type: Literal["artist"],
    after: str | None = None,
    limit: int | None = None,
) -> Any:
    """GET /me/following: Get Followed Artists."""
    raise NotImplementedOperation("get-followed")


def follow_artists_users(
    *,
    body: components.FollowArtistsUsersBody | None = None,
    type: Literal["artist", "user"],
    ids: str,
) -> Any:
    """PUT /me/following: Follow Artists or Users."""
    raise NotImplementedOperation("follow-artists-users")


def unfollow_artists_users(
    *,
    body: components.UnfollowArtistsUsersBody | None = None,
    type: Literal["artist", "user"],
    ids: str,
) -> Any:
    """DELETE /me/following: Unfollow Artists or Users."""
    raise NotImplementedOperation("unfollow-artists-users")


def check_current_user_follows(*, type: Literal["artist", "user"], ids: str) -> Any:
    """GET /me/following/contains: Check If User Follows Artists or Users."""
    raise NotImplementedOperation("check-current-user-follows")


def check_if_user_follows_playlist(*, playlist_id: str, ids: str | None = None) -> Any:
    """GET /playlists/{playlist_id}/followers/contains: Check if Current User Follows Playlist."""
    raise NotImplementedOperation("check-if-user-follows-playlist")


def get_users_top_artists(
    *,
    time_range: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/top/artists: Get User's Top Artists."""
    raise NotImplementedOperation("get-users-top-artists")


def get_users_top_tracks(
    *,
    time_range: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Any:
    """GET /me/top/tracks: Get User's Top Tracks."""
    raise NotImplementedOperation("get-users-top-tracks")
