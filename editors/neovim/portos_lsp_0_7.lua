-- portos-lsp in Neovim 0.7–0.10, without plugins: put this in your init.lua.
-- The server is `portos-lsp serve` from your PATH; PORTOS_LSP_CMD names another binary.
local portos_lsp = {
  cmd = { os.getenv('PORTOS_LSP_CMD') or 'portos-lsp', 'serve' },
  clients = {}, -- one client per workspace root
}

-- The workspace root: the nearest directory holding portos-lsp.toml or .portos-lsp.toml,
-- else the nearest holding .git, else the file's own directory.
function portos_lsp.root(file)
  local start = vim.fn.fnamemodify(file, ':p:h')
  for _, markers in ipairs({ { 'portos-lsp.toml', '.portos-lsp.toml' }, { '.git' } }) do
    local dir = start
    while true do
      for _, marker in ipairs(markers) do
        if vim.loop.fs_stat(dir .. '/' .. marker) then
          return dir
        end
      end
      local parent = vim.fn.fnamemodify(dir, ':h')
      if parent == dir then
        break
      end
      dir = parent
    end
  end
  return start
end

vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
  group = vim.api.nvim_create_augroup('portos-lsp', { clear = true }),
  pattern = {
    'ecosystem.config.js', 'ecosystem.config.cjs', 'ecosystem.config.mjs',
    'ecosystem.*.config.js', 'ecosystem.*.config.cjs', 'ecosystem.*.config.mjs',
    'pm2.config.js', 'pm2.config.cjs', 'pm2.config.mjs',
    'ecosystem*.json', 'ecosystem*.json5', 'ecosystem*.yml', 'ecosystem*.yaml',
    'pm2*.json', 'pm2*.json5', 'pm2*.yml', 'pm2*.yaml', 'process.json', 'processes.json',
  },
  callback = function(args)
    local root = portos_lsp.root(vim.api.nvim_buf_get_name(args.buf))
    local client_id = portos_lsp.clients[root]
    if not (client_id and vim.lsp.get_client_by_id(client_id)) then
      client_id = vim.lsp.start_client({
        name = 'portos-lsp',
        cmd = portos_lsp.cmd,
        root_dir = root,
      })
      portos_lsp.clients[root] = client_id
    end
    if client_id then
      vim.lsp.buf_attach_client(args.buf, client_id)
    end
  end,
})
