import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes } from 'react';

/* Sizing is left to the caller: inputClass is full width, controlClass takes its content's. */
export const controlClass =
    'rounded-md border border-slate-400 bg-white px-2.5 py-1.5 text-sm text-slate-900 placeholder:text-slate-500 focus-visible:outline-2 focus-visible:outline-blue-600 dark:border-slate-500 dark:bg-slate-900 dark:text-slate-100 dark:placeholder:text-slate-400';
export const inputClass = `w-full ${controlClass}`;

export function Field({ label, hint, ...rest }: InputHTMLAttributes<HTMLInputElement> & { label: ReactNode; hint?: ReactNode }) {
    const id = useId();
    return (
        <div className="flex flex-col gap-1">
            <label htmlFor={id} className="text-sm font-medium">
                {label}
            </label>
            <input id={id} className={inputClass} aria-describedby={hint ? `${id}-hint` : undefined} {...rest} />
            {hint ? (
                <p id={`${id}-hint`} className="text-xs text-slate-600 dark:text-slate-400">
                    {hint}
                </p>
            ) : null}
        </div>
    );
}

export function SelectField({ label, children, ...rest }: SelectHTMLAttributes<HTMLSelectElement> & { label: ReactNode }) {
    const id = useId();
    return (
        <div className="flex flex-col gap-1">
            <label htmlFor={id} className="text-sm font-medium">
                {label}
            </label>
            <select id={id} className={inputClass} {...rest}>
                {children}
            </select>
        </div>
    );
}
