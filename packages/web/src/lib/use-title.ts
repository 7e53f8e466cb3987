/** Each page names the browser tab after what it shows, so history and tabs are told apart. */
import { useEffect } from 'react';

export function useTitle(title: string | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Regatta` : 'Regatta';
  }, [title]);
}
