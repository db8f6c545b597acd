'use client';

import { useState, type FormEvent } from 'react';
import { validateLinkForm, type ConnectInput, type LinkFormErrors, type LinkFormField, type LinkFormValues } from '@/client/link-form';
import type { LabNodeData } from '@/client/graph';

/** The output of `links.suggest`: free names and addresses, and the link kind the controller will make. */
export interface LinkSuggestion {
  kind: string;
  vni?: number | null;
  a: { ifname: string; addresses: string[] };
  b: { ifname: string; addresses: string[] };
  /** Reason no addresses are suggested, such as a pool with no free pair. */
  addressProblem?: string | null;
}

export interface LinkFormProps {
  source: LabNodeData;
  target: LabNodeData;
  suggestion?: LinkSuggestion;
  /** Reason the suggestion failed. The form still opens, empty, so the user can type the values. */
  suggestionError?: string;
  loading: boolean;
  onSubmit: (input: ConnectInput) => void;
  onCancel: () => void;
  /** Fetches the commands the agents would run, for the "Show commands" button. */
  onPlan: (input: ConnectInput) => Promise<string>;
}

function initialValues(source: LabNodeData, target: LabNodeData, suggestion?: LinkSuggestion): LinkFormValues {
  return {
    a: { nodeId: source.nodeId, nodeName: source.name, ifname: suggestion?.a.ifname ?? '', addresses: suggestion?.a.addresses.join(', ') ?? '', existingInterfaces: source.interfaces },
    b: { nodeId: target.nodeId, nodeName: target.name, ifname: suggestion?.b.ifname ?? '', addresses: suggestion?.b.addresses.join(', ') ?? '', existingInterfaces: target.interfaces },
    mtu: '',
  };
}

function kindText(source: LabNodeData, target: LabNodeData, suggestion?: LinkSuggestion): string {
  const kind = suggestion?.kind ?? (source.hostId === target.hostId ? 'veth' : 'vxlan');
  if (kind === 'vxlan') return `vxlan pair between ${source.hostName} and ${target.hostName}${suggestion?.vni ? `, VNI ${suggestion.vni}` : ', with a fresh VNI'}`;
  return `${kind} pair on ${source.hostName}`;
}

function FieldError({ errors, field }: { errors: LinkFormErrors; field: LinkFormField }) {
  const message = errors[field];
  return message ? (
    <p className="koko-error" data-testid={`error-${field}`} id={`error-${field}`}>
      {message}
    </p>
  ) : null;
}

/**
 * The connect form: interface names and addresses for both ends, pre-filled from the
 * controller's suggestion, checked with koko's rules before anything is sent.
 */
export function LinkForm(props: LinkFormProps) {
  const { source, target, suggestion, suggestionError, loading, onSubmit, onCancel, onPlan } = props;
  if (loading) {
    return (
      <div className="koko-panel koko-link-form" role="dialog" aria-label="New link" onKeyDown={(event) => event.key === 'Escape' && onCancel()}>
        <p className="koko-muted">Finding free interface names and addresses…</p>
        <button type="button" onClick={onCancel} autoFocus>
          Cancel
        </button>
      </div>
    );
  }
  return <LoadedLinkForm key={`${source.nodeId}>${target.nodeId}`} {...props} initial={initialValues(source, target, suggestion)} kind={kindText(source, target, suggestion)} suggestionError={suggestionError} onSubmit={onSubmit} onCancel={onCancel} onPlan={onPlan} />;
}

function LoadedLinkForm(props: LinkFormProps & { initial: LinkFormValues; kind: string }) {
  const { source, target, initial, kind, suggestion, suggestionError, onSubmit, onCancel, onPlan } = props;
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<LinkFormErrors>({});
  const [plan, setPlan] = useState<string>();
  const [planning, setPlanning] = useState(false);

  const setEnd = (side: 'a' | 'b', field: 'ifname' | 'addresses', value: string) => {
    setValues((current) => ({ ...current, [side]: { ...current[side], [field]: value } }));
    setErrors((current) => ({ ...current, [`${side}.${field}`]: undefined, form: undefined }));
    setPlan(undefined);
  };

  const checked = (): ConnectInput | undefined => {
    const result = validateLinkForm(values);
    if (result.ok) return result.input;
    setErrors(result.errors);
    return undefined;
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const input = checked();
    if (input) onSubmit(input);
  };

  const showPlan = async () => {
    const input = checked();
    if (!input) return;
    setPlanning(true);
    try {
      setPlan(await onPlan(input));
    } catch (error) {
      setErrors({ form: (error as Error).message });
    } finally {
      setPlanning(false);
    }
  };

  const end = (side: 'a' | 'b', node: LabNodeData) => (
    <fieldset className="koko-end">
      <legend>
        {node.name} <span className="koko-muted">on {node.hostName}</span>
      </legend>
      <label className="koko-field">
        <span>Interface</span>
        <input
          name={`${side}.ifname`}
          value={values[side].ifname}
          onChange={(event) => setEnd(side, 'ifname', event.target.value)}
          aria-invalid={Boolean(errors[`${side}.ifname`])}
          aria-describedby={errors[`${side}.ifname`] ? `error-${side}.ifname` : undefined}
          autoFocus={side === 'a'}
          spellCheck={false}
        />
      </label>
      <FieldError errors={errors} field={`${side}.ifname`} />
      <label className="koko-field">
        <span>Addresses</span>
        <input
          name={`${side}.addresses`}
          value={values[side].addresses}
          onChange={(event) => setEnd(side, 'addresses', event.target.value)}
          placeholder="10.0.0.1/30, fd00::1/64"
          aria-invalid={Boolean(errors[`${side}.addresses`])}
          aria-describedby={errors[`${side}.addresses`] ? `error-${side}.addresses` : undefined}
          spellCheck={false}
        />
      </label>
      <FieldError errors={errors} field={`${side}.addresses`} />
    </fieldset>
  );

  return (
    <form
      className="koko-panel koko-link-form"
      role="dialog"
      aria-label="New link"
      onSubmit={submit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') onCancel();
      }}
      noValidate
    >
      <h2>New link</h2>
      <p className="koko-kind" data-testid="link-kind">
        {kind}
      </p>
      {suggestionError && <p className="koko-warning">No suggestion: {suggestionError}</p>}
      {suggestion?.addressProblem && (
        <p className="koko-warning" data-testid="address-problem">
          No addresses suggested: {suggestion.addressProblem}
        </p>
      )}
      <div className="koko-ends">
        {end('a', source)}
        {end('b', target)}
      </div>
      <label className="koko-field koko-field-short">
        <span>MTU</span>
        <input
          name="mtu"
          value={values.mtu}
          inputMode="numeric"
          placeholder="default"
          onChange={(event) => {
            setValues((current) => ({ ...current, mtu: event.target.value }));
            setErrors((current) => ({ ...current, mtu: undefined }));
          }}
          aria-invalid={Boolean(errors.mtu)}
        />
      </label>
      <FieldError errors={errors} field="mtu" />
      <FieldError errors={errors} field="form" />
      {plan !== undefined && (
        <pre className="koko-commands" data-testid="plan">
          {plan}
        </pre>
      )}
      <div className="koko-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" onClick={() => void showPlan()} disabled={planning}>
          {planning ? 'Planning…' : 'Show commands'}
        </button>
        <button type="submit" className="koko-primary">
          Create
        </button>
      </div>
    </form>
  );
}
