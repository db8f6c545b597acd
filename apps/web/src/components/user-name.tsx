'use client';

import { createContext, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { displayNameProblem, readDisplayName, writeDisplayName } from '@/client/user';

interface UserNameApi {
  name: string | undefined;
  /** Opens the prompt again so the user can change the name. */
  rename: () => void;
}

const UserNameContext = createContext<UserNameApi>({ name: undefined, rename: () => undefined });

export function useUserName(): UserNameApi {
  return useContext(UserNameContext);
}

/**
 * Asks once per browser for the name that history shows next to this user's changes, keeps it
 * in localStorage, and renders the app behind the prompt meanwhile.
 */
export function UserNameGate({ children }: { children: ReactNode }) {
  // undefined until mounted: the server cannot read localStorage, so the prompt waits for the browser.
  const [name, setName] = useState<string | undefined>();
  const [loaded, setLoaded] = useState(false);
  const [prompting, setPrompting] = useState(false);

  useEffect(() => {
    const stored = readDisplayName();
    setName(stored);
    setPrompting(!stored);
    setLoaded(true);
  }, []);

  const save = (value: string) => {
    writeDisplayName(value);
    setName(value.trim());
    setPrompting(false);
  };

  return (
    <UserNameContext.Provider value={{ name, rename: () => setPrompting(true) }}>
      {children}
      {loaded && prompting && <NamePrompt initial={name ?? ''} onSave={save} onCancel={name ? () => setPrompting(false) : undefined} />}
    </UserNameContext.Provider>
  );
}

function NamePrompt({ initial, onSave, onCancel }: { initial: string; onSave: (name: string) => void; onCancel?: () => void }) {
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<string>();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const found = displayNameProblem(value);
    if (found) setProblem(found);
    else onSave(value);
  };

  return (
    <div className="koko-modal-backdrop">
      <form
        className="koko-modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="koko-name-title"
        onSubmit={submit}
        onKeyDown={(event) => {
          if (event.key === 'Escape' && onCancel) onCancel();
        }}
      >
        <h2 id="koko-name-title">Your name</h2>
        <p className="koko-muted">History shows it next to every change you make. It stays in this browser.</p>
        <label className="koko-field">
          <span>Display name</span>
          <input name="displayName" autoFocus value={value} onChange={(event) => setValue(event.target.value)} aria-invalid={Boolean(problem)} />
        </label>
        {problem && <p className="koko-error">{problem}</p>}
        <div className="koko-actions">
          {onCancel && (
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="submit" className="koko-primary">
            Save
          </button>
        </div>
      </form>
    </div>
  );
}
