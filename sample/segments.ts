/** Segment names follow Aura's Vendor\Package convention; each segment's data is its own. */
export const AUTH_SEGMENT = 'App\\Auth';
export const NOTES_SEGMENT = 'App\\Notes';

export interface AuthData {
  user: string;
}

export interface NotesData {
  items: string[];
}
