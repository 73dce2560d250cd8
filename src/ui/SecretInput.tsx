/**
 * A password input that never mirrors its value into the DOM `value` attribute (React does that
 * for controlled inputs), so a serialised page, a DOM snapshot or a CSS attribute selector never
 * sees the secret. The store still holds it, in memory only.
 */
import { useEffect, useRef } from 'react';

export function SecretInput(props: {
  value: string;
  onChange: (value: string) => void;
  placeholder?: string;
}) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    // Set the property (not the attribute) when the value changes from outside (a prefill).
    if (ref.current && ref.current.value !== props.value) ref.current.value = props.value;
  }, [props.value]);
  return (
    <input
      ref={ref}
      type="password"
      autoComplete="off"
      spellCheck={false}
      placeholder={props.placeholder}
      onChange={(e) => props.onChange(e.target.value)}
    />
  );
}
