import type { ListenerSecurity } from '../ops/listener-security';
import type { ConfigSchema } from './config-schema';
import { fileContents, secret, secretFile } from './fields';
import { setting, type AnySetting } from './setting';

/**
 * The settings that guard an app's listener, the same in both apps. A token comes from a file or
 * the environment, never a flag (a flag's value shows in `ps`).
 */
export const LISTENER_SECURITY_SETTINGS = {
  authTokenFile: setting(secretFile(), {
    help: 'demand this token on every request and WebSocket upgrade of the listener (Authorization: Bearer TOKEN; browsers: any user, the token as password)',
  }),
  authToken: setting(secret(), { help: 'the token itself, instead of a file', sources: ['env'] }),
  tlsCert: setting(fileContents(), { help: 'serve HTTPS with this PEM certificate (with --tls-key)' }),
  tlsKey: setting(fileContents(), { help: "the certificate's PEM private key" }),
  tlsClientCa: setting(fileContents(), { help: 'demand client certificates signed by this PEM CA (with --tls-cert and --tls-key)' }),
};

type SecurityKeys = keyof typeof LISTENER_SECURITY_SETTINGS;
type SecurityValues = { readonly [K in SecurityKeys]?: K extends 'authTokenFile' | 'authToken' ? string : Buffer };

/** How an app's users guard its listener, for the refusal message of a listener left open. */
export function securityHint<S extends Record<SecurityKeys, AnySetting>>(schema: ConfigSchema<S>): string {
  return `${schema.flag('authTokenFile')} FILE or ${schema.envName('authToken')}; or ${schema.flag('tlsCert')}, ${schema.flag('tlsKey')} and ${schema.flag('tlsClientCa')}`;
}

/** The listener's security from loaded settings; an incomplete combination is an error naming the setting. */
export function listenerSecurity<S extends Record<SecurityKeys, AnySetting>>(schema: ConfigSchema<S>, values: SecurityValues): ListenerSecurity | undefined {
  if (values.authTokenFile !== undefined && values.authToken !== undefined) {
    throw schema.invalid('authToken', `give the token once: ${schema.flag('authTokenFile')} or ${schema.envName('authToken')}, not both`);
  }
  if ((values.tlsCert === undefined) !== (values.tlsKey === undefined)) {
    throw schema.invalid(values.tlsCert === undefined ? 'tlsCert' : 'tlsKey', `HTTPS needs both ${schema.flag('tlsCert')} and ${schema.flag('tlsKey')}`);
  }
  if (values.tlsClientCa !== undefined && values.tlsCert === undefined) {
    throw schema.invalid('tlsClientCa', `client certificates need HTTPS: give ${schema.flag('tlsCert')} and ${schema.flag('tlsKey')} too`);
  }
  const token = values.authTokenFile ?? values.authToken;
  const tls = values.tlsCert && values.tlsKey ? { cert: values.tlsCert, key: values.tlsKey, ...(values.tlsClientCa ? { clientCa: values.tlsClientCa } : {}) } : undefined;
  if (token === undefined && tls === undefined) return undefined;
  return { ...(token === undefined ? {} : { token }), ...(tls ? { tls } : {}) };
}
